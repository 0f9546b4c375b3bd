"""Split documents at Markdown headings into chunks sized for the embedding model.

all-MiniLM-L6-v2 reads 256 word pieces; English runs about 1.3 pieces a word, so a chunk
holds at most MAX_WORDS words of body plus a short header that names the document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.core.knowledge.loader import Document, KnowledgeBase

MAX_WORDS = 120
HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
OVERVIEW = "Overview"


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    doc_type: str
    title: str
    section: str
    text: str  # the section text shown as a snippet
    embed_text: str  # header + text: what is embedded and keyword-indexed
    position: int
    doc_hash: str

    def metadata(self) -> dict[str, str | int]:
        return {
            "doc_id": self.doc_id,
            "doc_type": self.doc_type,
            "title": self.title,
            "section": self.section,
            "position": self.position,
            "doc_hash": self.doc_hash,
            "text": self.text,
        }


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"


def sections_of(body: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, str]] = []
    heading, lines = OVERVIEW, []
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match and len(match.group(1)) >= 2:
            sections.append((heading, "\n".join(lines).strip()))
            heading, lines = match.group(2).strip(), []
        elif match:  # a level-1 heading repeats the title; keep its text out of the body
            continue
        else:
            lines.append(line)
    sections.append((heading, "\n".join(lines).strip()))
    return [(h, t) for h, t in sections if t]


def _pieces(text: str, max_words: int) -> list[str]:
    """Pack paragraphs (or sentences of a long paragraph) into pieces of at most max_words."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph.split()) <= max_words:
            units.append(paragraph)
            continue
        for sentence in SENTENCE_END.split(paragraph):
            words = sentence.split()
            units.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words))
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        words = len(unit.split())
        if current and size + words > max_words:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += words
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def document_header(document: Document) -> str:
    """Front-matter text that helps retrieval: the title and what people call the thing."""
    meta = document.meta
    names = ", ".join(meta.aliases[:8])
    return f"{meta.title} ({names})" if names else meta.title


def chunk_document(document: Document, max_words: int = MAX_WORDS) -> list[Chunk]:
    meta = document.meta
    header = document_header(document)
    overview = f"{meta.summary}"
    # The first chunk always holds title, aliases and summary: the strongest signal of what
    # the document is about, whatever its body says.
    parts: list[tuple[str, str]] = [(OVERVIEW, overview)]
    for section, text in sections_of(document.body):
        parts.extend((section, piece) for piece in _pieces(text, max_words))
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for position, (section, text) in enumerate(parts):
        embed_text = f"{header}. {section}.\n{text}" if section != OVERVIEW else f"{header}.\n{text}"
        slug = slugify(section)
        seen[slug] = seen.get(slug, 0) + 1
        digest = hashlib.sha256(embed_text.encode("utf-8")).hexdigest()[:16]
        chunk_id = f"{meta.id}:{slug}:{seen[slug]}:{digest}"
        chunks.append(
            Chunk(
                id=chunk_id,
                doc_id=meta.id,
                doc_type=meta.type,
                title=meta.title,
                section=section,
                text=text,
                embed_text=embed_text,
                position=position,
                doc_hash=document.content_hash,
            )
        )
    return chunks


def chunk_knowledge(kb: KnowledgeBase, max_words: int = MAX_WORDS) -> list[Chunk]:
    return [chunk for doc in kb.documents.values() for chunk in chunk_document(doc, max_words)]
