"""CoachService: the one entry point every door calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core import checkins, compose, metrics
from bot.core.dialogue import Engine, Turn, match_profile, progress_choices, respond, understand
from bot.core.embeddings import Embedder
from bot.core.errors import CoachError, InvalidInput
from bot.core.knowledge.index import ReloadReport
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.knowledge.service import KnowledgeService
from bot.core.limits import Limits, LocalLimits, SharedLimits
from bot.core.memory import ANSWERED_WITHOUT_MEMORY, Memory
from bot.core.models import Answer, Citation, Plan, Profile, ReplyChoice, TargetSuggestion, UserRef
from bot.core.plans import plan_for, progress_for
from bot.core.profiles import Checkin, ProfileStore
from bot.core.profiles import Turn as StoredTurn
from bot.core.retrieval import SearchResult
from bot.core.understanding.language import language_name
from bot.core.understanding.occupations import OccupationTable
from bot.core.understanding.reader import Reader, close_candidates, is_sure
from bot.core.understanding.state import ConversationState

if TYPE_CHECKING:  # LangChain loads only when a model is configured
    from bot.core.agent.answerer import LLMAnswerer

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
CHECKIN_LEASE = timedelta(minutes=10)  # a claimed check-in a crashed replica never sent is free again


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, trimmed: what every reader of a message sees."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(
        ch for ch in text if ch in "\n\t" or (ch.isprintable() and unicodedata.category(ch) != "Cf")
    )
    return re.sub(r"[ \t]+", " ", text).strip()


READING_AT_ONCE = 8  # messages read at once; enough to batch embeddings, few enough to keep order


class CoachService:
    def __init__(
        self,
        knowledge: KnowledgeService,
        store: ProfileStore,
        embedder: Embedder,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        answerer: LLMAnswerer | None = None,
        llm_timeout: float = 30.0,
        occupation_folders: list[Path] | None = None,
        cache_dir: Path | None = None,
        checkins_enabled: bool = True,
        rate_limit_per_minute: int = 6,
        shared_limits: bool = False,
    ) -> None:
        self.occupation_folders = occupation_folders or []
        self.cache_dir = cache_dir
        self._table: OccupationTable | None = None
        self._progress: Callable[[int, int], None] | None = None
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
        self._reading = asyncio.Semaphore(READING_AT_ONCE)
        self._idle = asyncio.Event()
        self._idle.set()
        self.checkins_enabled = checkins_enabled
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests move time on
        # Replicas sharing a database must share the count too; one process keeps it in memory.
        limit = rate_limit_per_minute
        self.limits: Limits = SharedLimits(store, limit) if shared_limits else LocalLimits(limit)

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Open the database, the index and the engine; `progress` hears how far a first start's
        embedding of the role and occupation texts has got."""
        self._progress = progress
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
                self._engine = await asyncio.to_thread(self._build_engine, kb)
            return self._engine

    def _build_engine(self, kb: KnowledgeBase) -> Engine:
        if self._table is None:
            self._table = OccupationTable.load(self.occupation_folders)
            if not self._table.has_tasks:
                log.warning(
                    "no occupation task file found (run `coach data fetch`); answering without task detail"
                )
        retriever = self.knowledge.retriever

        # The reader's vectors serve retrieval only when both embed with the same model.
        shared_model = retriever.index.embedder is self.embedder

        def search_roles(text: str, vector: Sequence[float] | None = None) -> list[tuple[str, float]]:
            try:
                given = vector if shared_model else None
                return [(r.id, r.similarity) for r in retriever.search_sync(text, 3, "role", given)]
            except CoachError:  # the index is down: recognition still has every role's own texts
                return []

        reader = Reader(kb, self._table, self.embedder, self.cache_dir, search_roles=search_roles)
        # Role and occupation vectors now, rather than inside someone's first question.
        reader.warm(self._progress)
        return Engine(kb, self._table, reader)

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
        act: str | None = None,
        public: bool = False,
    ) -> Answer:
        """Answer one message; profile and memory are updated and kept. `act` names the
        dialogue act when the door knows it (a button, not free text). `public`: the reply
        is seen by others, so a personal answer is not streamed (the door routes it privately).

        With a language model configured the agent writes the answer (its text arrives through
        `on_token` as it is written); on any failure of the model the offline answer is used.
        """
        started = time.perf_counter()
        async with self.working():
            try:
                answer = await self._ask(user, text, hours, on_token, act, public)
            except CoachError as error:
                metrics.ERRORS.labels(error.kind).inc()
                raise
            except Exception:
                metrics.ERRORS.labels("internal").inc()
                raise
        metrics.ANSWERS.labels(user.platform, answer.mode, answer.intent).inc()
        metrics.ANSWER_SECONDS.labels(answer.mode).observe(time.perf_counter() - started)
        return await self._with_links(answer)

    async def _with_links(self, answer: Answer) -> Answer:
        """The answer with its sources' links, so its structured reply can link them."""
        answer.links = await self.source_links(answer.sources)
        return answer

    async def _ask(
        self,
        user: UserRef,
        text: str,
        hours: float | None,
        on_token: Callable[[str], Any] | None,
        act: str | None = None,
        public: bool = False,
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
            # Reading a message is work for the machine's cores (the database, the embedding
            # model): a crowd is read a few at a time in arrival order, so the first to ask
            # reach the model and their answer first instead of all finishing late together.
            async with self._reading:
                recall = await self.memory.recall(user)
                profile, history = recall.profile, recall.history
                args = (engine, profile, recall.state, clean, hours, act)
                # The offline reading runs first either way: the model answers from the same
                # act, state and computed facts, and falls back to them.
                answer, query, state = await self._answer(*args)
            # With a model, the offline answer is composed only if the model fails.
            model = self.answerer is not None
            if model and answer.intent != "invalid":
                stream = None if public and answer.personal else on_token
                written = await self._with_model(engine, answer, state, history, clean, query, stream)
                if written is not None:
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
                state.stored(),
            )
            return answer

    async def _with_model(
        self,
        engine: Engine,
        offline: Answer,
        state: ConversationState,
        history: list[StoredTurn],
        text: str,
        query: str | None,
        on_token: Callable[[str], Any] | None,
    ) -> Answer | None:
        """The agent's answer, built on the offline reading of the message; None on failure."""
        from bot.core.agent.tools import TurnState

        assert self.answerer is not None
        remembered = state
        state = TurnState(
            kb=engine.kb,
            profile=offline.profile,
            search=self.knowledge.search,
            build_plan=self.plan_for,
            conversation={
                "act": offline.intent,
                "language": language_name(offline.language),
                "computed_facts": offline.answer or None,
                "last_plan": remembered.plan.public() if remembered.plan else None,
                "suggested_roles": [s.model_dump() for s in remembered.suggestions],
                "exposure": offline.exposure.model_dump() if offline.exposure else None,
            },
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
            # The act stands, except that a plan the model built answers an open question.
            intent="plan"
            if state.plan and offline.intent in {"clarify", "question", "vague", "smalltalk"}
            else offline.intent,
            profile=state.profile,
            target_roles=state.target_roles or offline.target_roles,
            plan=state.plan or offline.plan,
            sources=state.sources or offline.sources,
            notes=offline.notes,
            exposure=offline.exposure,
            language=offline.language,
            # The choices stand too: a pending question is answered by its number either way.
            choices=offline.choices,
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
        stored: dict[str, Any] | None,
        text: str,
        hours: float | None,
        act_given: str | None = None,
    ) -> tuple[Answer, str | None, ConversationState]:
        """The offline answer, and the conversation state to keep."""
        state = ConversationState.from_stored(stored)
        # An answered message ends a door's setup questions; a door still asking sets its next
        # step after this answer.
        state.onboarding = None
        reading = await asyncio.to_thread(engine.reader.read, text)
        turn = Turn(engine, text, reading, profile, state, self._search_any)
        act = understand(turn, hours, act_given)
        answer = await respond(turn, act)
        return answer, turn.query, turn.state

    async def _search_any(self, query: str, k: int) -> list[SearchResult]:
        return await self.knowledge.search(query, k)

    def plan_for(
        self, kb: KnowledgeBase, profile: Profile, learn_skills: list[str]
    ) -> tuple[Plan | None, list[TargetSuggestion], list[Citation]]:
        """The deterministic plan for a profile (the agent's plan tool calls this)."""
        table = self._engine.table if self._engine is not None else None
        return plan_for(kb, profile, learn_skills, self._near_roles(kb, profile), table)

    def _near_roles(self, kb: KnowledgeBase, profile: Profile) -> list[str]:
        if profile.current_role or not profile.onet_code or self._engine is None:
            return []
        return [r for r, _ in self._engine.reader.roles_near(profile.onet_code)[:2]]

    def _full_plan(self, engine: Engine, profile: Profile) -> Answer:
        plan, _targets, citations = self.plan_for(engine.kb, profile, [])
        if plan is None:
            return Answer(intent="full_plan", answer=compose.NEED_ROLE, profile=profile)
        text = compose.full_plan_answer(engine.kb, profile, plan, citations)
        progress = progress_for(engine.kb, profile, self._near_roles(engine.kb, profile), engine.table)
        return Answer(
            intent="full_plan", answer=text, profile=profile, plan=plan, sources=citations,
            progress=progress if profile.progress else None, choices=progress_choices(progress),
        )  # fmt: skip

    # -- check-ins ----------------------------------------------------------------------

    async def checkin_command(self, user: UserRef, args: list[str], address: str) -> str:
        """/checkin DAY TIME ZONE turns the weekly check-in on (sent to `address`, the person's
        private chat); /checkin off stops it; /checkin alone says what is set."""
        if not self.checkins_enabled:
            return "Check-ins are turned off on this coach."
        current = await self.memory.call(lambda: self.store.checkin_of(user))
        if args and args[0].lower() in {"off", "stop", "no"}:
            removed = await self.memory.call(lambda: self.store.remove_checkin(user.key))
            return "Check-ins are off." if removed else "Check-ins were already off."
        if not args:
            if current is None:
                return checkins.USAGE
            schedule = checkins.stored(current.weekday, current.at, current.zone)
            return f"Your check-in: {schedule.describe()}. /checkin off stops it."
        schedule = checkins.parse_schedule(args, current.zone if current else None)
        if isinstance(schedule, str):
            return schedule
        due = checkins.next_due(schedule, self.clock())
        await self.memory.call(
            lambda: self.store.set_checkin(
                user, address, schedule.weekday, f"{schedule.at:%H:%M}", schedule.zone, due
            )
        )
        local = due.astimezone(ZoneInfo(schedule.zone))
        return (
            f"Check-ins on: {schedule.describe()}. The first one comes {local:%A %d %B, %H:%M}. "
            "/checkin off stops them."
        )

    async def checkins_due(self, at: datetime | None = None) -> list[Checkin]:
        """The check-ins due at `at` (default now), without claiming them."""
        return await self.memory.call(lambda: self.store.due_checkins(at or self.clock()))

    async def claim_checkins(self, platform: str, owner: str) -> list[tuple[Checkin, Answer]]:
        """Due check-ins this process now owns, each with what to send. Quiet hours are kept:
        a missed one waits for the morning unless the person chose a late time."""
        at = self.clock()
        claimed: list[tuple[Checkin, Answer]] = []
        for checkin in await self.memory.call(lambda: self.store.due_checkins(at, platform)):
            schedule = checkins.stored(checkin.weekday, checkin.at, checkin.zone)
            if not checkins.sendable(schedule, at):
                continue
            if await self.memory.call(
                lambda c=checkin: self.store.claim_checkin(c, owner, at, CHECKIN_LEASE)
            ):
                claimed.append((checkin, await self._checkin_answer(checkin)))
        return claimed

    async def checkin_done(self, checkin: Checkin, result: str) -> None:
        """After a send: `sent` and `failed` move to next week (a missed week is never sent
        twice, and nothing is retried forever); `blocked` (the person blocked the bot or closed
        their DMs) turns check-ins off."""
        metrics.CHECKINS_SENT.labels(checkin.platform, result).inc()
        if result == "blocked":
            log.warning("check-ins turned off for a %s user who cannot be messaged", checkin.platform)
            await self.memory.call(lambda: self.store.remove_checkin(checkin.user_key))
            return
        at = self.clock()
        schedule = checkins.stored(checkin.weekday, checkin.at, checkin.zone)
        due = checkins.next_due(schedule, at)
        await self.memory.call(
            lambda: self.store.finish_checkin(checkin.user_key, at if result == "sent" else None, due)
        )

    async def _checkin_answer(self, checkin: Checkin) -> Answer:
        platform, _, user_id = checkin.user_key.partition(":")
        user = UserRef(platform=platform, user_id=user_id)
        engine = await self.engine()
        profile = await self.memory.profile_or_blank(user)
        plan, _, _ = self.plan_for(engine.kb, profile, [])
        progress = progress_for(engine.kb, profile, self._near_roles(engine.kb, profile), engine.table)
        if plan is None or progress is None or not plan.weeks:
            text = (
                "Your weekly check-in: we don't have a plan yet. Tell me your job and your goal, "
                "and I'll make one."
            )
            return Answer(intent="progress", answer=text, profile=profile)
        done = sum(1 for i in progress.items if i.status == "done")
        lines = compose.week_lines(engine.kb, plan, weeks=1)
        text = "\n\n".join([
            "Your weekly check-in. Planned for this week:",
            *lines,
            checkins.encouragement(progress.done_hours, progress.total_hours, done),
            "How did it go?",
        ])  # fmt: skip
        choices = [
            ReplyChoice(label="✅ Done", text="/done"),
            ReplyChoice(label="🌓 Partly", text="/later"),
            ReplyChoice(label="⏳ Not yet", text="/notyet"),
        ]
        return Answer(
            intent="progress", answer=text, profile=profile, plan=plan, progress=progress, choices=choices
        )

    async def progress(self, user: UserRef) -> Answer:
        """Where the person is in their plan (`/progress`, `coach progress`); changes nothing."""
        engine = await self.engine()
        profile = await self.memory.profile_or_blank(user)
        progress = progress_for(engine.kb, profile, self._near_roles(engine.kb, profile), engine.table)
        if progress is None:
            return Answer(intent="progress", answer=compose.NO_PLAN_YET, profile=profile)
        return Answer(
            intent="progress", answer=compose.progress_text(engine.kb, progress), profile=profile,
            progress=progress, choices=progress_choices(progress),
        )  # fmt: skip

    # -- profile and data ---------------------------------------------------------------

    async def get_profile(self, user: UserRef) -> Profile:
        return await self.memory.call(lambda: self.store.get_profile(user))

    async def update_profile(self, user: UserRef, **changes: Any) -> Profile:
        """Set fields directly (the /profile commands). A role may be an id or any phrase
        ("dental hygienist"), resolved by the same recognition as free text; when that is
        unsure, the closest matches are offered instead."""
        engine = await self.engine()
        update = {k: v for k, v in changes.items() if k in Profile.model_fields}
        for field, roles_only in (("current_role", False), ("target_role", True)):
            if update.get(field):
                update |= await self._resolve_role(engine, field, str(update[field]), roles_only)
        for field, low, high in (("hours_per_week", 1.0, 40.0), ("experience_years", 0.0, 60.0)):
            value = update.get(field)
            if value is not None:
                number = float(value)
                if not math.isfinite(number):
                    raise InvalidInput(f"{value!r} is not a number I can use for {field.replace('_', ' ')}.")
                update[field] = max(low, min(high, number))
        async with self._lock_for(user):
            profile = await self.memory.call(lambda: self.store.get_profile(user))
            updated = profile.model_copy(update=update)
            await self.memory.call(lambda: self.store.save_profile(user, updated))
            return updated

    async def _resolve_role(
        self, engine: Engine, field: str, phrase: str, roles_only: bool
    ) -> dict[str, Any]:
        kb = engine.kb
        if phrase in kb.roles:
            role_id = phrase
        else:
            matches = await asyncio.to_thread(engine.reader.resolve, phrase, roles_only)
            if not is_sure(matches):
                close = close_candidates(matches) or matches[:3]
                raise InvalidInput(
                    f"I'm not sure which job {phrase!r} is. Did you mean "
                    + " or ".join(f"{m.title!r}" for m in close)
                    + "? Say it in other words, or pick one of those."
                )
            if field == "current_role":
                return match_profile(matches[0], kb)
            role_id = matches[0].role_id
        if field == "current_role":
            return {
                "current_role": role_id,
                "onet_code": next(iter(kb.roles[role_id].onet_codes or []), None),
            }
        return {"target_role": role_id}

    async def full_plan(self, user: UserRef) -> Answer:
        engine = await self.engine()
        profile = await self.memory.profile_or_blank(user)
        return await self._with_links(self._full_plan(engine, profile))

    async def forget_user(self, user: UserRef) -> bool:
        async with self._lock_for(user):
            return await self.memory.call(lambda: self.store.forget(user))

    async def onboarding_step(self, user: UserRef) -> str | None:
        """Where the person is in a door's setup questions: stored, so every replica agrees."""
        recall = await self.memory.recall(user, 0)
        return ConversationState.from_stored(recall.state).onboarding

    async def set_onboarding_step(self, user: UserRef, step: str | None) -> None:
        async with self._lock_for(user):
            await self.memory.call(lambda: self.store.update_state(user, {"onboarding": step}))

    async def profile_summary(self, profile: Profile) -> list[tuple[str, str]]:
        """The profile as labelled lines, the same on every door."""
        engine = await self.engine()
        kb = engine.kb
        occupation = engine.table.get(profile.onet_code)
        if profile.current_role in kb.roles:
            current = kb.roles[profile.current_role].title
        elif occupation is not None:
            current = f"{occupation.title} (O*NET {occupation.code})"
        else:
            current = "-"
        goal = kb.roles[profile.target_role].title if profile.target_role in kb.roles else "-"
        known = ", ".join(kb.skills[s].title for s in profile.known_skills if s in kb.skills) or "-"
        return [
            ("Current role", current),
            ("Goal", goal),
            ("Hours a week", f"{profile.hours_per_week:g}" if profile.hours_per_week else "-"),
            ("Experience", f"{profile.experience_years:g} years" if profile.experience_years else "-"),
            ("Skills you have", known),
        ]

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
