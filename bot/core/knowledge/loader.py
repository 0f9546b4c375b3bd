"""Read and validate the knowledge folder; report every problem at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.core.errors import KnowledgeDirMissing, KnowledgeValidationError, Problem
from bot.core.knowledge.schema import (
    FOLDER_OF_TYPE,
    META_MODEL_OF_TYPE,
    DocumentMeta,
    GuideMeta,
    RoleMeta,
    SkillMeta,
)

TYPE_OF_FOLDER = {folder: doc_type for doc_type, folder in FOLDER_OF_TYPE.items()}
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    body: str
    path: str  # relative to the knowledge folder's parent, e.g. knowledge/roles/paralegal.md
    content_hash: str

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def type(self) -> str:
        return self.meta.type

    @property
    def title(self) -> str:
        return self.meta.title


@dataclass
class KnowledgeBase:
    """A validated knowledge folder: every cross-reference resolves. Read many times per answer
    and never changed once loaded, so its views by type are built once (`add` resets them)."""

    documents: dict[str, Document] = field(default_factory=dict)
    _views: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def add(self, document: Document) -> None:
        self.documents[document.id] = document
        self._views.clear()

    def of_type(self, doc_type: str) -> list[Document]:
        key = "type:" + doc_type
        if key not in self._views:
            self._views[key] = [doc for doc in self.documents.values() if doc.type == doc_type]
        return list(self._views[key])

    def _metas(self, doc_type: str, kind: type[Any]) -> dict[str, Any]:
        key = "meta:" + doc_type
        if key not in self._views:
            self._views[key] = {d.id: d.meta for d in self.of_type(doc_type) if isinstance(d.meta, kind)}
        return self._views[key]  # type: ignore[no-any-return]

    @property
    def roles(self) -> dict[str, RoleMeta]:
        return self._metas("role", RoleMeta)

    @property
    def skills(self) -> dict[str, SkillMeta]:
        return self._metas("skill", SkillMeta)

    @property
    def guides(self) -> dict[str, GuideMeta]:
        return self._metas("guide", GuideMeta)

    def counts(self) -> dict[str, int]:
        return {t: len(self.of_type(t)) for t in FOLDER_OF_TYPE}


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Return (yaml, body), or None when the file has no front matter block."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    return None


def _field_name(loc: Iterable[object]) -> str:
    return ".".join(str(part) for part in loc) or "front matter"


def parse_document(path: Path, relative: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file. Problems are returned, not raised, so all files get checked."""

    def problem(field_name: str, message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(relative, field_name, message)]

    # The size is checked before reading: a 3 GB file must not be read whole to be refused.
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return problem("", f"cannot be read ({error.strerror or type(error).__name__})")
    if len(raw) > MAX_FILE_BYTES:
        return problem("", f"file is larger than {MAX_FILE_BYTES // 1000} kB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return problem("", f"not UTF-8 text (bad byte at position {error.start})")
    if not text.strip():
        return problem("", "file is empty")
    parts = split_front_matter(text)
    if parts is None:
        return problem("front matter", "missing: the file must start with a '---' YAML block")
    front, body = parts
    try:
        data = yaml.safe_load(front)
    except RecursionError:  # YAML nested thousands deep: name the file, don't crash the reload
        return problem("front matter", "nested too deeply to read")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        return problem("front matter", f"invalid YAML{where}: {reason}")
    if not isinstance(data, dict):
        return problem("front matter", "must be a mapping of keys to values")

    folder_type = TYPE_OF_FOLDER.get(path.parent.name)
    declared = data.get("type")
    problems: list[Problem] = []
    doc_type = declared if declared in META_MODEL_OF_TYPE else folder_type
    if declared not in META_MODEL_OF_TYPE:
        problems.append(Problem(relative, "type", f"must be one of role, skill, guide (got {declared!r})"))
    elif folder_type and declared != folder_type:
        problems.append(Problem(relative, "type", f"is {declared!r} but the file is in {path.parent.name}/"))
    if doc_type is None:
        return None, problems
    try:
        meta = META_MODEL_OF_TYPE[doc_type].model_validate(data)
    except ValidationError as error:
        problems.extend(
            Problem(relative, _field_name(e["loc"]), e["msg"])
            for e in error.errors(include_url=False)
            if not (e["loc"] and e["loc"][0] == "type")
        )
        return None, problems
    if meta.id != path.stem:
        problems.append(Problem(relative, "id", f"{meta.id!r} does not match the file name {path.stem!r}"))
    if not body.strip():
        problems.append(Problem(relative, "body", "is empty: write the document below the front matter"))
    if problems:
        return None, problems
    digest = hashlib.sha256(raw).hexdigest()
    return Document(meta=meta, body=body, path=relative, content_hash=digest), []


def _check_references(kb: KnowledgeBase, broken: dict[str, set[str]]) -> list[Problem]:
    """Cross-references between valid documents. Ids of files that failed to parse count as
    existing, so one broken file is reported once, not again by everything that names it."""
    problems: list[Problem] = []
    roles, skills = kb.roles, kb.skills
    role_ids = set(roles) | broken.get("role", set())
    skill_ids = set(skills) | broken.get("skill", set())
    alias_owner: dict[str, str] = {}
    title_owner = {meta.title.lower(): role_id for role_id, meta in roles.items()}
    for role_id, role in roles.items():
        where = kb.documents[role_id].path
        seen: set[str] = set()
        for index, need in enumerate(role.skills):
            if need.id not in skill_ids:
                problems.append(Problem(where, f"skills.{index}.id", f"unknown skill id {need.id!r}"))
            if need.id in seen:
                problems.append(Problem(where, f"skills.{index}.id", f"{need.id!r} is listed twice"))
            seen.add(need.id)
        for index, target in enumerate(role.transitions):
            if target == role_id:
                problems.append(Problem(where, f"transitions.{index}", "a role cannot transition to itself"))
            elif target not in role_ids:
                problems.append(Problem(where, f"transitions.{index}", f"unknown role id {target!r}"))
            elif target not in role.transition_reasons and target in roles:
                problems.append(
                    Problem(where, "transition_reasons", f"no reason given for transition {target!r}")
                )
        for index, step in enumerate(role.entry_path.steps):
            for skill_id in step.covers:
                if skill_id not in skill_ids:
                    field = f"entry_path.steps.{index}.covers"
                    problems.append(Problem(where, field, f"unknown skill id {skill_id!r}"))
            for other in step.done_by:
                if other not in role_ids:
                    field = f"entry_path.steps.{index}.done_by"
                    problems.append(Problem(where, field, f"unknown role id {other!r}"))
        for target in role.transition_reasons:
            if target not in role.transitions:
                problems.append(
                    Problem(where, f"transition_reasons.{target}", "is not listed in transitions")
                )
        for alias in role.aliases:
            owner = alias_owner.setdefault(alias, role_id)
            if owner != role_id:
                problems.append(Problem(where, "aliases", f"{alias!r} is already an alias of {owner!r}"))
            elif title_owner.get(alias, role_id) != role_id:
                problems.append(
                    Problem(where, "aliases", f"{alias!r} is the title of {title_owner[alias]!r}")
                )
    for skill_id, skill in skills.items():
        where = kb.documents[skill_id].path
        for index, prerequisite in enumerate(skill.prerequisites):
            if prerequisite == skill_id:
                problems.append(Problem(where, f"prerequisites.{index}", "a skill cannot require itself"))
            elif prerequisite not in skill_ids:
                problems.append(
                    Problem(where, f"prerequisites.{index}", f"unknown skill id {prerequisite!r}")
                )
    problems.extend(_prerequisite_cycles(kb))
    return problems


def _prerequisite_cycles(kb: KnowledgeBase) -> list[Problem]:
    skills = kb.skills
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    reported: set[frozenset[str]] = set()
    problems: list[Problem] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in skills[node].prerequisites:
            if nxt not in skills or nxt == node:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    problems.append(
                        Problem(kb.documents[nxt].path, "prerequisites", "cycle: " + " -> ".join(cycle))
                    )
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for skill_id in sorted(skills):
        if skill_id not in state:
            visit(skill_id, [])
    return problems


def knowledge_files(root: Path) -> list[Path]:
    return sorted(p for folder in TYPE_OF_FOLDER for p in (root / folder).glob("*.md") if p.is_file())


def load_knowledge(root: Path) -> KnowledgeBase:
    """Load and validate the folder. Raises KnowledgeValidationError listing every problem."""
    if not root.is_dir():
        raise KnowledgeDirMissing(f"knowledge folder not found: {root}")
    files = knowledge_files(root)
    if not files:
        raise KnowledgeDirMissing(f"no knowledge files in {root} (expected roles/, skills/, guides/)")
    kb = KnowledgeBase()
    problems: list[Problem] = []
    broken: dict[str, set[str]] = {}
    for path in files:
        relative = f"{root.name}/{path.parent.name}/{path.name}"
        try:
            document, found = parse_document(path, relative)
        except OSError as error:
            document, found = None, [Problem(relative, "", f"cannot be read: {error.strerror}")]
        problems.extend(found)
        if document is None:
            broken.setdefault(TYPE_OF_FOLDER[path.parent.name], set()).add(path.stem)
            continue
        existing = kb.documents.get(document.id)
        if existing is not None:
            problems.append(Problem(relative, "id", f"{document.id!r} is also used by {existing.path}"))
            continue
        kb.add(document)
    problems.extend(_check_references(kb, broken))
    if problems:
        raise KnowledgeValidationError(problems)
    return kb
