"""CoachService: the one entry point every door calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core import compose, metrics
from bot.core.embeddings import Embedder
from bot.core.errors import CoachError, InvalidInput
from bot.core.knowledge.index import ReloadReport
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.knowledge.service import KnowledgeService
from bot.core.memory import ANSWERED_WITHOUT_MEMORY, Memory
from bot.core.models import Answer, Citation, Plan, Profile, TargetSuggestion, UserRef
from bot.core.planner import (
    DEFAULT_HOURS_PER_WEEK,
    Need,
    build_plan,
    role_levels,
    skill_gap,
    suggest_targets,
)
from bot.core.profiles import ProfileStore, Turn
from bot.core.profiling import Profiler, Understanding, normalise

if TYPE_CHECKING:  # LangChain loads only when a model is configured
    from bot.core.agent.answerer import LLMAnswerer

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
OFF_TOPIC_SIMILARITY = 0.3

GREETING = re.compile(
    r"^(hi|hello|hey|hiya|yo|good (morning|afternoon|evening)|greetings|howdy)\b"
    r"[\s!.,]*(there|coach|bot)?[\s!.]*$"
)
THANKS = re.compile(r"^(thanks?|thank you|thx|cheers|ta|great|cool|ok(ay)?|nice|perfect)\b[\s\w!.,]{0,20}$")
YES = re.compile(r"^(yes|yeah|yep|yup|correct|right|that's right|exactly|sure|y)\b")
NO = re.compile(r"^(no|nope|nah|not really|wrong|n)\b")
FULL_PLAN = re.compile(
    r"(^/plan\b|\b(full|whole|complete|entire|all of the|detailed) plan\b|\ball (the )?weeks\b)"
)
PLAN_WORDS = re.compile(
    r"\b(plan|roadmap|schedule|learn|learning|study|upskill|reskill|retrain|next|path|transition|switch|"
    r"move into|become|stay relevant|what now|what should i|what can i|what could i|career change|"
    r"worried|replace|replaced|automat\w*|future|pivot|get into|is there a path)\b"
)
FOLLOW_UP = re.compile(r"^(and|but|also|so|ok|okay)?\s*(what|how) about\s+(?P<topic>.+?)\??$")
CAREER_WORDS = re.compile(
    r"\b(job|jobs|work|career|skill|skills|learn|role|roles|ai|course|hours|plan|automation|automate|"
    r"employ\w*|hire|hiring|resume|cv|portfolio|salary|industry|profession|occupation|retrain)\b"
)


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, trimmed: what every reader of a message sees."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(
        ch for ch in text if ch in "\n\t" or (ch.isprintable() and unicodedata.category(ch) != "Cf")
    )
    return re.sub(r"[ \t]+", " ", text).strip()


@dataclass
class Engine:
    """What answering needs from one version of the knowledge base."""

    kb: KnowledgeBase
    profiler: Profiler


class CoachService:
    def __init__(
        self,
        knowledge: KnowledgeService,
        store: ProfileStore,
        embedder: Embedder,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        answerer: LLMAnswerer | None = None,
        llm_timeout: float = 30.0,
    ) -> None:
        self.knowledge = knowledge
        self.store = store
        self.memory = Memory(store)
        self.embedder = embedder
        self.max_message_chars = max_message_chars
        self.answerer = answerer
        self.llm_timeout = llm_timeout
        self.fallbacks = 0  # answers the model should have written but the offline engine did
        self._engine: Engine | None = None
        self._engine_lock = asyncio.Lock()
        self._user_locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.store.start()
        except Exception as error:  # a database that is down must not keep the bots from answering
            log.error("database unreachable at start (%s); answering without memory", type(error).__name__)
        await self.knowledge.ensure_index()
        await self.engine()
        self.knowledge.watch()

    async def close(self) -> None:
        await self.knowledge.stop_watching()
        await self.memory.close()
        if self.answerer is not None:
            await self.answerer.aclose()
        await self.store.close()

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Mark a message as in flight (adapters wrap reading, answering and replying)."""
        self._in_flight += 1
        self._idle.clear()
        metrics.IN_FLIGHT.inc()
        try:
            yield
        finally:
            self._in_flight -= 1
            metrics.IN_FLIGHT.dec()
            if self._in_flight == 0:
                self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def drain(self, timeout: float) -> bool:
        """Wait for the messages in flight to be answered; False if some were still running."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning("shutdown: %d answers still in flight after %.0f s", self._in_flight, timeout)
            return False
        return True

    async def engine(self) -> Engine:
        # Reading the files happens once per version; after that no thread hop per question.
        kb = self.knowledge.loaded or await asyncio.to_thread(lambda: self.knowledge.kb)
        if self._engine is not None and self._engine.kb is kb:
            return self._engine
        async with self._engine_lock:
            if self._engine is None or self._engine.kb is not kb:
                profiler = await asyncio.to_thread(Profiler, kb, self.embedder)
                # Build the role-name vectors now rather than inside someone's first question.
                await asyncio.to_thread(profiler.matcher.best, "warm up")
                self._engine = Engine(kb, profiler)
            return self._engine

    def _lock_for(self, user: UserRef) -> asyncio.Lock:
        lock = self._user_locks.get(user.key)
        if lock is None:
            lock = self._user_locks[user.key] = asyncio.Lock()
            while len(self._user_locks) > 10_000:
                self._user_locks.popitem(last=False)
        self._user_locks.move_to_end(user.key)
        return lock

    # -- the conversation ---------------------------------------------------------------

    async def ask(
        self,
        user: UserRef,
        text: str,
        hours: float | None = None,
        on_token: Callable[[str], Any] | None = None,
    ) -> Answer:
        """Answer one message; profile and memory are updated and kept.

        With a language model configured the agent writes the answer (its text arrives through
        `on_token` as it is written); on any failure of the model the offline answer is used.
        """
        started = time.perf_counter()
        async with self.working():
            try:
                answer = await self._ask(user, text, hours, on_token)
            except CoachError as error:
                metrics.ERRORS.labels(error.kind).inc()
                raise
            except Exception:
                metrics.ERRORS.labels("internal").inc()
                raise
        metrics.ANSWERS.labels(user.platform, answer.mode, answer.intent).inc()
        metrics.ANSWER_SECONDS.labels(answer.mode).observe(time.perf_counter() - started)
        return answer

    async def _ask(
        self, user: UserRef, text: str, hours: float | None, on_token: Callable[[str], Any] | None
    ) -> Answer:
        clean = clean_text(text)
        if not clean:
            return Answer(
                intent="invalid", answer=compose.EMPTY, profile=await self.memory.profile_or_blank(user)
            )
        if len(clean) > self.max_message_chars:
            return Answer(
                intent="invalid",
                answer=compose.too_long(len(clean), self.max_message_chars),
                profile=await self.memory.profile_or_blank(user),
            )
        async with self._lock_for(user):
            engine = await self.engine()
            recall = await self.memory.recall(user)
            profile, pending, history = recall.profile, recall.pending, recall.history
            # With a model, the offline answer is composed only if the model fails.
            model = self.answerer is not None
            args = (engine, profile, pending, history, clean, hours)
            answer, query, new_pending = await self._answer(*args, draft=model)
            if model and answer.intent not in {"invalid", "clarify"}:
                written = await self._with_model(engine, answer, history, clean, query, on_token)
                if written is None:
                    answer, query, new_pending = await self._answer(*args)
                else:
                    answer = written
            if not recall.ok:
                answer.answer = f"{answer.answer}\n\n{ANSWERED_WITHOUT_MEMORY}"
            answer.answer_id = await self.memory.remember(
                user,
                clean,
                answer.answer,
                answer.intent,
                answer.mode,
                query,
                profile,
                answer.profile,
                new_pending,
            )
            return answer

    async def _with_model(
        self,
        engine: Engine,
        offline: Answer,
        history: list[Turn],
        text: str,
        query: str | None,
        on_token: Callable[[str], Any] | None,
    ) -> Answer | None:
        """The agent's answer, built on the offline reading of the message; None on failure."""
        from bot.core.agent.tools import TurnState

        assert self.answerer is not None
        state = TurnState(
            kb=engine.kb,
            profile=offline.profile,
            search=self.knowledge.search,
            build_plan=self.plan_for,
        )
        try:
            async with asyncio.timeout(self.llm_timeout):
                hint = None
                if history and query and query != text:  # a follow-up: let the model condense it
                    hint = await self.answerer.condense(history, text)
                reply = await self.answerer.answer(state, history, text, on_token, hint)
        except Exception as error:  # every failure of the model ends the same way: offline
            self.fallbacks += 1
            metrics.MODEL_FALLBACKS.inc()
            log.warning(
                "language model failed (%s: %s); answering offline", type(error).__name__, str(error)[:200]
            )
            return None
        return Answer(
            mode="llm",
            answer=reply,
            # What the model did decides the kind of answer: a plan only if it built one.
            intent="plan" if state.plan else ("question" if offline.intent == "plan" else offline.intent),
            profile=state.profile,
            target_roles=state.target_roles,
            plan=state.plan,
            sources=state.sources,
            notes=offline.notes,
        )

    async def stream(self, user: UserRef, text: str, hours: float | None = None) -> AsyncIterator[str]:
        """The answer as a stream of text: pieces as the model writes them, or offline in one."""
        queue: asyncio.Queue[str] = asyncio.Queue()
        task = asyncio.create_task(self.ask(user, text, hours, on_token=queue.put_nowait))
        sent: list[str] = []
        while not (task.done() and queue.empty()):
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                sent.append(getter.result())
                yield sent[-1]
            else:
                getter.cancel()
        answer = task.result()
        shown = "".join(sent)
        if answer.answer.strip() != shown.strip():
            # The model stopped midway (or never started): the rest is the offline answer.
            yield answer.answer[len(shown) :] if answer.answer.startswith(shown) else "\n\n" + answer.answer

    async def _answer(
        self,
        engine: Engine,
        profile: Profile,
        pending: dict[str, Any] | None,
        history: list[Turn],
        text: str,
        hours: float | None,
        draft: bool = False,
    ) -> tuple[Answer, str | None, dict[str, Any] | None]:
        """The offline answer. A draft stops once intent and profile are known (the model
        writes the rest), so nothing is searched or planned that nobody will read."""
        kb = engine.kb
        lowered = normalise(text)
        reading = await asyncio.to_thread(engine.profiler.read, text)
        notes: list[str] = []

        if pending and YES.match(lowered) and pending.get("role") in kb.roles:
            field = "current_role" if pending.get("kind") == "current" else "target_role"
            setattr(reading, field, pending["role"])
        new_profile = self._merge(kb, profile, reading, hours, notes)

        if pending and NO.match(lowered) and not reading.states_profile:
            reply = "No problem. What is your job (or the role you want), in a few words?"
            return Answer(intent="clarify", answer=reply, profile=new_profile), None, None
        if GREETING.match(lowered):
            return Answer(intent="smalltalk", answer=compose.GREETING, profile=new_profile), None, None
        if THANKS.match(lowered) and not reading.states_profile:
            return Answer(intent="smalltalk", answer=compose.THANKS, profile=new_profile), None, None
        if FULL_PLAN.search(lowered) and not reading.states_profile:
            return self._full_plan(kb, new_profile), None, None

        ask_kind = "current" if reading.ask_current else "target" if reading.ask_target else None
        if ask_kind and not (reading.current_role or reading.target_role):
            role = reading.ask_current or reading.ask_target
            assert role is not None
            return (
                Answer(
                    intent="clarify", answer=compose.clarify_answer(kb, role, ask_kind), profile=new_profile
                ),
                None,
                {"kind": ask_kind, "role": role},
            )

        follow = FOLLOW_UP.match(lowered)
        previous_intent = next((t.intent for t in reversed(history) if t.role == "assistant"), None)
        only_profile_update = (
            reading.states_profile
            and not (reading.current_role or reading.target_role)
            and len(lowered.split()) <= 12
        )
        wants_plan = bool(
            reading.current_role
            or reading.target_role
            or (reading.learn_skills and PLAN_WORDS.search(lowered))
            or (only_profile_update and (new_profile.current_role or new_profile.target_role))
            or (pending and YES.match(lowered))
            or (
                PLAN_WORDS.search(lowered)
                and "plan" in lowered
                and (new_profile.current_role or new_profile.target_role or reading.learn_skills)
            )
        )
        if follow and previous_intent in {"plan", "full_plan"} and reading.topic_roles:
            new_profile = new_profile.model_copy(update={"target_role": reading.topic_roles[0]})
            notes.append(f"Switching your goal to {kb.roles[reading.topic_roles[0]].title}.")
            wants_plan = True
        if wants_plan and draft:
            return Answer(intent="plan", answer="", profile=new_profile, notes=notes), None, None
        if wants_plan:
            return self._plan(kb, new_profile, reading, notes), None, None

        query = self._standalone_query(text, follow.group("topic") if follow else None, history)
        if draft:
            return Answer(intent="question", answer="", profile=new_profile, notes=notes), query, None
        results = await self.knowledge.search(query, 5)
        career = bool(CAREER_WORDS.search(lowered) or reading.roles or reading.skills or reading.guides)
        if not results or (not career and max(r.similarity for r in results) < OFF_TOPIC_SIMILARITY):
            return Answer(intent="off_topic", answer=compose.OFF_TOPIC, profile=new_profile), query, None
        named = [m.doc_id for m in reading.roles] + reading.skills + reading.guides
        body, citations = compose.document_answer(kb, results, named)
        if notes:
            body = "\n".join(notes) + "\n\n" + body
        return (
            Answer(intent="question", answer=body, profile=new_profile, sources=citations, notes=notes),
            query,
            None,
        )

    @staticmethod
    def _standalone_query(text: str, topic: str | None, history: list[Turn]) -> str:
        """Follow-ups become standalone retrieval queries: 'and what about X?' asks about X;
        a short message that points back ('how long does that take?') borrows the last question."""
        if topic:
            return topic
        words = normalise(text).split()
        points_back = bool({"it", "that", "this", "those", "these", "them", "there"} & set(words))
        if len(words) <= 8 and points_back:
            last = next((t for t in reversed(history) if t.role == "user"), None)
            if last is not None:
                return f"{last.query or last.text} {text}"
        return text

    def _merge(
        self,
        kb: KnowledgeBase,
        profile: Profile,
        reading: Understanding,
        hours: float | None,
        notes: list[str],
    ) -> Profile:
        """Apply what the message says; a new statement replaces an old one, and says so."""
        update: dict[str, Any] = {}
        roles = kb.roles
        if reading.current_role and reading.current_role != profile.current_role:
            if profile.current_role in roles:
                notes.append(
                    f"Noted: your current role is now {roles[reading.current_role].title} "
                    f"(it was {roles[profile.current_role].title})."
                )
            update["current_role"] = reading.current_role
        if reading.target_role and reading.target_role != profile.target_role:
            update["target_role"] = reading.target_role
        current = update.get("current_role", profile.current_role)
        if current and current == update.get("target_role", profile.target_role):
            update["target_role"] = None  # becoming what you already are is not a goal
        if reading.hours:
            if reading.hours.clamped:
                notes.append(
                    f"{reading.hours.said:g} hours a week is more than a plan can fairly ask of anyone; "
                    f"I planned with {reading.hours.hours:g}."
                    if reading.hours.said > reading.hours.hours
                    else f"I planned with {reading.hours.hours:g} hour a week, the smallest step."
                )
            update["hours_per_week"] = reading.hours.hours
        if hours is not None:
            update["hours_per_week"] = max(1.0, min(40.0, hours))
        if reading.experience_years is not None:
            update["experience_years"] = reading.experience_years
        return profile.model_copy(update=update)

    def plan_for(
        self, kb: KnowledgeBase, profile: Profile, learn_skills: list[str]
    ) -> tuple[Plan | None, list[TargetSuggestion], list[Citation]]:
        """The deterministic plan for a profile: target roles, the plan, what it cites."""
        roles, skills = kb.roles, kb.skills
        budget = profile.hours_per_week or DEFAULT_HOURS_PER_WEEK
        current = roles.get(profile.current_role or "")
        have = role_levels(current)
        targets: list[TargetSuggestion] = []
        chosen: str | None = None
        if profile.target_role in roles:
            target = roles[profile.target_role]
            targets.append(TargetSuggestion(id=target.id, title=target.title, why=target.summary, fit=1.0))
            if current is not None:
                targets += [t for t in suggest_targets(roles, current.id) if t.id != target.id][:2]
            chosen = target.id
        elif current is not None:
            targets = suggest_targets(roles, current.id)
            chosen = targets[0].id if targets else None
        needs: list[Need] = [Need(s, have.get(s, 0), 3) for s in learn_skills if have.get(s, 0) < 3]
        if chosen is not None:
            needs += [n for n in skill_gap(roles[chosen], current) if n.skill not in {m.skill for m in needs}]
        if not needs and chosen is None:
            return None, [], []
        plan = build_plan(needs, skills, budget, have, target_role=chosen)
        return plan, targets, self._plan_citations(kb, profile, targets, plan)

    def _plan(self, kb: KnowledgeBase, profile: Profile, reading: Understanding, notes: list[str]) -> Answer:
        plan, targets, citations = self.plan_for(kb, profile, reading.learn_skills)
        if plan is None:
            return Answer(intent="plan", answer=compose.NEED_ROLE, profile=profile, notes=notes)
        hours_assumed = profile.hours_per_week is None
        text = compose.plan_answer(
            kb, profile, plan, targets, citations, notes, hours_assumed, reading.horizon_weeks
        )
        if hours_assumed:
            notes.append("hours_per_week was not given: planned with 5")
        return Answer(
            intent="plan",
            answer=text,
            profile=profile,
            target_roles=[t.id for t in targets],
            plan=plan,
            sources=citations,
            notes=notes,
        )

    @staticmethod
    def _plan_citations(
        kb: KnowledgeBase, profile: Profile, targets: list[TargetSuggestion], plan: Plan
    ) -> list[Citation]:
        ids = [profile.current_role, *(t.id for t in targets), *plan.skills]
        return [
            compose.citation(kb.documents[i])
            for i in dict.fromkeys(i for i in ids if i and i in kb.documents)
        ]

    def _full_plan(self, kb: KnowledgeBase, profile: Profile) -> Answer:
        answer = self._plan(kb, profile, Understanding(), [])
        if answer.plan is None:
            return answer.model_copy(update={"intent": "full_plan"})
        text = compose.full_plan_answer(kb, profile, answer.plan, answer.sources)
        return answer.model_copy(update={"intent": "full_plan", "answer": text})

    # -- profile and data ---------------------------------------------------------------

    async def get_profile(self, user: UserRef) -> Profile:
        return await self.memory.call(lambda: self.store.get_profile(user))

    async def update_profile(self, user: UserRef, **changes: Any) -> Profile:
        """Set fields directly (the /profile commands). Unknown role ids are refused."""
        engine = await self.engine()
        async with self._lock_for(user):
            profile = await self.memory.call(lambda: self.store.get_profile(user))
            for field in ("current_role", "target_role"):
                value = changes.get(field)
                if value and value not in engine.kb.roles:
                    raise InvalidInput(
                        f"I don't know the role {value!r}. Try one of: "
                        + ", ".join(sorted(engine.kb.roles)[:8])
                        + " ..."
                    )
            if "hours_per_week" in changes and changes["hours_per_week"] is not None:
                changes["hours_per_week"] = max(1.0, min(40.0, float(changes["hours_per_week"])))
            updated = profile.model_copy(
                update={k: v for k, v in changes.items() if k in Profile.model_fields}
            )
            await self.memory.call(lambda: self.store.save_profile(user, updated))
            return updated

    async def full_plan(self, user: UserRef) -> Answer:
        engine = await self.engine()
        profile = await self.memory.profile_or_blank(user)
        return self._full_plan(engine.kb, profile)

    async def forget_user(self, user: UserRef) -> bool:
        async with self._lock_for(user):
            return await self.memory.call(lambda: self.store.forget(user))

    async def role_titles(self) -> dict[str, str]:
        engine = await self.engine()
        return {role_id: role.title for role_id, role in engine.kb.roles.items()}

    async def skill_titles(self) -> dict[str, str]:
        engine = await self.engine()
        return {skill_id: skill.title for skill_id, skill in engine.kb.skills.items()}

    async def source_links(self, citations: list[Citation]) -> dict[str, str]:
        """A link for each cited document: the first public source it names."""
        engine = await self.engine()
        links: dict[str, str] = {}
        for citation in citations:
            document = engine.kb.documents.get(citation.id)
            if document is not None and document.meta.sources:
                links[citation.title] = document.meta.sources[0].url
        return links

    async def record_feedback(self, user: UserRef, answer_id: int, value: int) -> bool:
        return await self.memory.call(lambda: self.store.set_feedback(user, answer_id, value))

    async def reload_knowledge(self) -> ReloadReport:
        report = await self.knowledge.reload()
        await self.engine()
        return report

    async def health(self) -> dict[str, dict[str, Any]]:
        """Each dependency, checked for real: the index, the database, and the model if set."""
        checks: dict[str, dict[str, Any]] = {}
        try:
            stats = await self.knowledge.stats(force=True)
            documents = sum(stats.get("documents", {}).values())
            checks["index"] = {
                "ok": documents > 0,
                "detail": f"{documents} documents, {stats.get('chunks', 0)} chunks, {stats.get('backend')}"
                if documents
                else "no index yet: run `coach kb reload`",
            }
        except CoachError as error:
            checks["index"] = {"ok": False, "detail": error.message}
        try:
            users = (await self.memory.direct(self.store.counts))["users"]
            plural = "s" if users != 1 else ""
            waiting = self.memory.pending_writes
            checks["database"] = {
                "ok": True,
                "detail": f"{self.store.engine.dialect.name}, {users} user{plural}"
                + (f", {waiting} writes waiting" if waiting else ""),
            }
        except Exception as error:  # any driver error means the same thing here: not reachable
            checks["database"] = {"ok": False, "detail": f"unreachable ({type(error).__name__})"}
        if self.answerer is None:
            checks["model"] = {"ok": True, "detail": "not configured: offline answers"}
        else:
            try:
                async with asyncio.timeout(10):
                    await self.answerer.ping()
                checks["model"] = {"ok": True, "detail": self.answerer.model.model_name}
            except Exception as error:
                checks["model"] = {"ok": False, "detail": f"unreachable ({type(error).__name__})"}
        return checks

    async def stats(self) -> dict[str, Any]:
        index = await self.knowledge.stats()
        return {**index, **await self.memory.call(self.store.counts)}
