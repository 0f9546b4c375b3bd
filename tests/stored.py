"""What a test reads straight from the database: the coach itself has no use for these."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.models import UserRef
from bot.core.profiles import ProfileStore, Turn, TurnRow, UserRow


async def recent_turns(store: ProfileStore, user: UserRef, limit: int = 10) -> list[Turn]:
    async with store._sessions() as session:
        return await ProfileStore._recent(session, user, limit)


async def rows_of(store: ProfileStore, user: UserRef) -> int:
    """How many rows hold this user's data (for tests of forget)."""
    async with store._sessions() as session:
        turns = await session.scalar(
            select(func.count()).select_from(TurnRow).where(TurnRow.user_key == user.key)
        )
        users = await session.scalar(select(func.count()).select_from(UserRow).where(UserRow.key == user.key))
        return int(turns or 0) + int(users or 0)
