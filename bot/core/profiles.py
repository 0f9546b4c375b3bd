"""Profiles, conversation turns and answers: SQLAlchemy 2 async, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    case,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import (
    insert as core_insert,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column

from bot.core.models import Profile, UserRef

MAX_TURNS_KEPT = 40  # per user; older turns are pruned as new ones arrive


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(160))
    current_role: Mapped[str | None] = mapped_column(String(80))
    target_role: Mapped[str | None] = mapped_column(String(80))
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    experience_years: Mapped[float | None] = mapped_column(Float)
    onet_code: Mapped[str | None] = mapped_column(String(16))
    known_skills: Mapped[list[str] | None] = mapped_column(JSON)
    progress: Mapped[dict[str, str] | None] = mapped_column(JSON)
    stay: Mapped[bool | None] = mapped_column(Boolean)
    # The conversation state (understanding/state.py). The column keeps its first-round name,
    # so databases of that round need no migration for it.
    state: Mapped[dict[str, Any] | None] = mapped_column("pending", JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)


class TurnRow(Base):
    __tablename__ = "turns"
    # Ids never reused after a /forget: feedback on an old answer id must not land on a new one.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(ForeignKey("users.key", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "user" or "assistant"
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    mode: Mapped[str | None] = mapped_column(String(16))
    query: Mapped[str | None] = mapped_column(Text)  # the standalone retrieval query used
    feedback: Mapped[int | None] = mapped_column(Integer)  # +1 / -1 from the buttons
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class CheckinRow(Base):
    """One person's weekly check-in. Times are naive UTC: SQLite compares them as text."""

    __tablename__ = "checkins"

    user_key: Mapped[str] = mapped_column(ForeignKey("users.key", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(160))  # the private chat or user to send to
    weekday: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    zone: Mapped[str] = mapped_column(String(64))
    next_due: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_sent: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)


class RateRow(Base):
    """How many questions one person asked in the current window, shared by every replica."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer)  # wall-clock seconds // window length
    count: Mapped[int] = mapped_column(Integer)
    told: Mapped[int | None] = mapped_column(Integer)  # the window whose refusal was sent


@dataclass
class _Exchange:
    """One question and answer waiting to be written (ProfileStore.record)."""

    user: UserRef
    question: str
    answer: str
    intent: str
    mode: str
    query: str | None
    changes: dict[str, Any]
    state: dict[str, Any] | None
    result: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True)
class Checkin:
    user_key: str
    platform: str
    address: str
    weekday: int
    at: str
    zone: str
    next_due: datetime  # aware, UTC
    last_sent: datetime | None


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _checkin(row: CheckinRow) -> Checkin:
    return Checkin(
        user_key=row.user_key, platform=row.platform, address=row.address, weekday=row.weekday,
        at=row.at, zone=row.zone, next_due=row.next_due.replace(tzinfo=UTC),
        last_sent=row.last_sent.replace(tzinfo=UTC) if row.last_sent else None,
    )  # fmt: skip


@dataclass(frozen=True)
class Turn:
    id: int
    role: str
    text: str
    intent: str | None
    query: str | None
    feedback: int | None = None


class ProfileStore:
    """Every read and write of per-user data. Async all the way: never blocks the loop."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        # A database that is down must fail a call within seconds, not hang an answer.
        connect_args = {"timeout": 5, "command_timeout": 10} if "asyncpg" in url else {}
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=True, connect_args=connect_args
        )
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a reader upgrading to writer is refused at once
        # ("database is locked") rather than queued: queue writers here instead.
        self._write_lock = asyncio.Lock() if url.startswith("sqlite") else contextlib.nullcontext()
        self._exchanges: list[_Exchange] = []  # waiting for the next group commit
        self._recording = asyncio.Lock()
        self.started = False  # tables created (start() may fail while the database is down)

    @property
    def _upsert_insert(self) -> Any:
        """The dialect's INSERT, the one with ON CONFLICT (insert-or-ignore, upserts)."""
        return postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert

    def _writing(self) -> Any:
        return self._write_lock

    async def start(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
            await connection.run_sync(_add_missing_columns)
        self.started = True

    async def close(self) -> None:
        await self.engine.dispose()

    async def _user_row(self, session: AsyncSession, user: UserRef) -> UserRow:
        """The user's row, created if missing. Insert-or-ignore: two processes meeting a new
        user at once must not fail on the primary key."""
        row = await session.get(UserRow, user.key)
        if row is not None:
            return row
        insert = self._upsert_insert
        stamp = now()
        await session.execute(
            insert(UserRow)
            .values(
                key=user.key, platform=user.platform, user_id=user.user_id, created_at=stamp, updated_at=stamp
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await session.get(UserRow, user.key, populate_existing=True)
        assert row is not None
        return row

    async def get_profile(self, user: UserRef) -> Profile:
        async with self._sessions() as session:
            row = await session.get(UserRow, user.key)
            return _profile(row)

    async def recall(
        self, user: UserRef, turns: int = 6
    ) -> tuple[Profile, dict[str, Any] | None, list[Turn]]:
        """Profile, conversation state, and the last turns: everything a question needs, in
        one session (and one query for someone new)."""
        async with self._sessions() as session:
            row = await session.get(UserRow, user.key)
            if row is None:
                return Profile(), None, []
            recent = await self._recent(session, user, turns) if turns else []
            return _profile(row), (dict(row.state) if row.state else None), recent

    async def record(
        self,
        user: UserRef,
        question: str,
        answer: str,
        intent: str,
        mode: str,
        query: str | None,
        changes: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> int:
        """One exchange and the profile fields it changed, in one transaction; the answer's id.

        Every answer waits for this, so exchanges arriving while one is being written are
        written together by the next transaction (group commit): a crowd costs a few
        transactions of three statements plus one per person, not four round trips each."""
        exchange = _Exchange(user, question, answer, intent, mode, query, changes or {}, state)
        self._exchanges.append(exchange)
        async with self._recording:
            if not exchange.result.done():
                batch, self._exchanges = self._exchanges, []
                try:
                    ids = await self._write_exchanges(batch)
                except BaseException as error:  # cancelled too: nobody in the batch may hang
                    for waiting in batch:
                        waiting.result.set_exception(error)
                else:
                    for waiting, answer_id in zip(batch, ids, strict=True):
                        waiting.result.set_result(answer_id)
        return exchange.result.result()

    async def _write_exchanges(self, batch: list[_Exchange]) -> list[int]:
        stamp = now()
        insert = self._upsert_insert
        turns: list[dict[str, Any]] = []
        for e in batch:
            turns += [
                {"user_key": e.user.key, "role": "user", "text": e.question, "intent": e.intent,
                 "query": e.query, "mode": None, "created_at": stamp},
                {"user_key": e.user.key, "role": "assistant", "text": e.answer, "intent": e.intent,
                 "query": None, "mode": e.mode, "created_at": stamp},
            ]  # fmt: skip
        keys = {e.user.key for e in batch}
        # Keep each person's newest MAX_TURNS_KEPT; with fewer turns the bound is NULL.
        newer = aliased(TurnRow)
        oldest_kept = (
            select(newer.id)
            .where(newer.user_key == TurnRow.user_key)
            .order_by(newer.id.desc())
            .offset(MAX_TURNS_KEPT - 1)
            .limit(1)
            .scalar_subquery()
        )
        async with self._writing(), self._sessions.begin() as session:
            # One statement per set of changed fields (most answers change only the state).
            for statement, rows in _user_upserts(batch, stamp, insert):
                await session.execute(statement, rows)
            # One multi-row statement on the table (the ORM would send a row at a time).
            table = TurnRow.__table__
            added = await session.execute(
                core_insert(table).values(turns).returning(table.c.id, table.c.user_key, table.c.role)
            )
            answers: dict[str, list[int]] = {}
            for turn_id, key, role in added.all():
                if role == "assistant":
                    answers.setdefault(key, []).append(turn_id)
            await session.execute(delete(TurnRow).where(TurnRow.user_key.in_(keys), TurnRow.id < oldest_kept))
        # RETURNING promises no order: each person's answers in id order, as they were added.
        mine = {key: iter(sorted(ids)) for key, ids in answers.items()}
        return [next(mine[e.user.key]) for e in batch]

    async def save_profile(self, user: UserRef, profile: Profile) -> Profile:
        """Set profile fields; the conversation state is left as it is."""
        async with self._writing(), self._sessions.begin() as session:
            row = await self._user_row(session, user)
            _apply(row, profile.model_dump(), row.state)
        return profile

    async def update_state(self, user: UserRef, changes: dict[str, Any]) -> None:
        """Change fields of the stored conversation state (a None value removes the field)."""
        async with self._writing(), self._sessions.begin() as session:
            row = await self._user_row(session, user)
            state = {**(row.state or {}), **changes}
            row.state = {k: v for k, v in state.items() if v is not None} or None
            row.updated_at = now()

    @staticmethod
    async def _recent(session: AsyncSession, user: UserRef, limit: int) -> list[Turn]:
        rows = (
            await session.execute(
                select(TurnRow).where(TurnRow.user_key == user.key).order_by(TurnRow.id.desc()).limit(limit)
            )
        ).scalars()
        return list(reversed([Turn(r.id, r.role, r.text, r.intent, r.query, r.feedback) for r in rows]))

    async def set_feedback(self, user: UserRef, answer_id: int, value: int) -> bool:
        async with self._writing(), self._sessions.begin() as session:
            row = await session.get(TurnRow, answer_id)
            if row is None or row.user_key != user.key or row.role != "assistant":
                return False
            row.feedback = 1 if value > 0 else -1
            return True

    # -- rate limits (limits.SharedLimits) -------------------------------------------------

    async def count_request(self, key: str, window: int) -> int:
        """Count one question in `window` and return the window's count: one atomic upsert, so
        replicas counting the same person at once never lose a count."""
        insert = self._upsert_insert
        statement = insert(RateRow).values(key=key, window=window, count=1, told=None)
        fresh = statement.excluded.window != RateRow.window
        statement = statement.on_conflict_do_update(
            index_elements=[RateRow.key],
            set_={
                "count": case((fresh, 1), else_=RateRow.count + 1),
                "told": case((fresh, None), else_=RateRow.told),
                "window": statement.excluded.window,
            },
        ).returning(RateRow.count)
        async with self._writing(), self._sessions.begin() as session:
            return int((await session.execute(statement)).scalar_one())

    async def mark_refusal_told(self, key: str, window: int) -> bool:
        """True for exactly one caller per person and window: the one that tells the refusal."""
        async with self._writing(), self._sessions.begin() as session:
            result = await session.execute(
                update(RateRow)
                .where(RateRow.key == key, RateRow.window == window,
                       or_(RateRow.told.is_(None), RateRow.told != window))
                .values(told=window)
            )  # fmt: skip
            return result.rowcount == 1

    # -- check-ins ------------------------------------------------------------------------

    async def set_checkin(
        self, user: UserRef, address: str, weekday: int, at: str, zone: str, due: datetime
    ) -> None:
        async with self._writing(), self._sessions.begin() as session:
            await self._user_row(session, user)
            row = await session.get(CheckinRow, user.key)
            if row is None:
                row = CheckinRow(user_key=user.key)
                session.add(row)
            row.platform, row.address, row.weekday, row.at, row.zone = (
                user.platform,
                address,
                weekday,
                at,
                zone,
            )
            row.next_due, row.claimed_by, row.claimed_until = naive_utc(due), None, None

    async def checkin_of(self, user: UserRef) -> Checkin | None:
        async with self._sessions() as session:
            row = await session.get(CheckinRow, user.key)
            return _checkin(row) if row is not None else None

    async def remove_checkin(self, user_key: str) -> bool:
        async with self._writing(), self._sessions.begin() as session:
            result = await session.execute(delete(CheckinRow).where(CheckinRow.user_key == user_key))
            return bool(result.rowcount)

    async def due_checkins(
        self, at: datetime, platform: str | None = None, limit: int = 1000
    ) -> list[Checkin]:
        query = select(CheckinRow).where(CheckinRow.next_due <= naive_utc(at)).order_by(CheckinRow.next_due)
        if platform is not None:
            query = query.where(CheckinRow.platform == platform)
        async with self._sessions() as session:
            return [_checkin(r) for r in (await session.scalars(query.limit(limit))).all()]

    async def claim_checkin(self, checkin: Checkin, owner: str, at: datetime, lease: timedelta) -> bool:
        """Take a due check-in for this process: a conditional update, so of two replicas
        claiming the same one at once exactly one succeeds."""
        stamp = naive_utc(at)
        async with self._writing(), self._sessions.begin() as session:
            result = await session.execute(
                update(CheckinRow)
                .where(
                    CheckinRow.user_key == checkin.user_key,
                    CheckinRow.next_due == naive_utc(checkin.next_due),
                    or_(CheckinRow.claimed_until.is_(None), CheckinRow.claimed_until < stamp),
                )
                .values(claimed_by=owner, claimed_until=naive_utc(at + lease))
            )
            return result.rowcount == 1

    async def finish_checkin(self, user_key: str, sent: datetime | None, due: datetime) -> None:
        """Sent (or given up on): the next one is `due`, and the claim is let go."""
        async with self._writing(), self._sessions.begin() as session:
            values: dict[str, Any] = {"next_due": naive_utc(due), "claimed_by": None, "claimed_until": None}
            if sent is not None:
                values["last_sent"] = naive_utc(sent)
            await session.execute(update(CheckinRow).where(CheckinRow.user_key == user_key).values(**values))

    async def forget(self, user: UserRef) -> bool:
        """Delete every row of this user, and on SQLite the copies in the write-ahead log too."""
        async with self._writing():
            async with self._sessions.begin() as session:
                await session.execute(delete(CheckinRow).where(CheckinRow.user_key == user.key))
                await session.execute(delete(RateRow).where(RateRow.key == user.key))
                await session.execute(delete(TurnRow).where(TurnRow.user_key == user.key))
                result = await session.execute(delete(UserRow).where(UserRow.key == user.key))
            if self.engine.dialect.name == "sqlite":
                async with self.engine.connect() as connection:
                    await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return bool(result.rowcount)

    async def counts(self) -> dict[str, int]:
        midnight = now().replace(hour=0, minute=0, second=0, microsecond=0)
        async with self._sessions() as session:
            users = await session.scalar(select(func.count()).select_from(UserRow))
            today = await session.scalar(
                select(func.count())
                .select_from(TurnRow)
                .where(TurnRow.role == "assistant", TurnRow.created_at >= midnight)
            )
            return {"users": int(users or 0), "answers_today": int(today or 0)}


def _user_upserts(
    batch: list[_Exchange], stamp: datetime, insert: Any
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Insert-or-update statements for the users of a batch, each with its rows."""
    users = UserRow.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for e in batch:
        fields = {
            getattr(UserRow, f).property.columns[0].name: v
            for f, v in {**e.changes, "state": e.state}.items()
        }
        row = {"key": e.user.key, "platform": e.user.platform, "user_id": e.user.user_id,
               "created_at": stamp, "updated_at": stamp, **fields}  # fmt: skip
        groups.setdefault(tuple(sorted(fields)), []).append(row)
    statements = []
    for names, rows in groups.items():
        upsert = insert(users)
        changed = {name: upsert.excluded[name] for name in (*names, "updated_at")}
        statements.append((upsert.on_conflict_do_update(index_elements=[users.c.key], set_=changed), rows))
    return statements


def _apply(row: UserRow, fields: dict[str, Any], state: dict[str, Any] | None) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
    row.state = state
    row.updated_at = now()


def _add_missing_columns(connection: Any) -> None:
    """Columns added since the first round, added to a database created by it."""
    from sqlalchemy import inspect, text

    present = {column["name"] for column in inspect(connection).get_columns("users")}
    for column in UserRow.__table__.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(text(f'ALTER TABLE users ADD COLUMN "{column.name}" {kind}'))


def _profile(row: UserRow | None) -> Profile:
    if row is None:
        return Profile()
    return Profile(
        current_role=row.current_role,
        target_role=row.target_role,
        hours_per_week=row.hours_per_week,
        experience_years=row.experience_years,
        onet_code=row.onet_code,
        known_skills=list(row.known_skills or []),
        progress=dict(row.progress or {}),
        stay=bool(row.stay),
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers carry on while one writer commits; foreign keys make cascades real.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
