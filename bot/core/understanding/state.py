"""The conversation state the core keeps per person, stored with the profile.

A follow-up ("how long will this take?", "why that role?") is read against it, so every
replica answering a webhook sees the same conversation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from bot.core.models import Plan, TargetSuggestion


class Choice(BaseModel):
    title: str
    role_id: str | None = None
    onet_code: str | None = None


class PendingQuestion(BaseModel):
    """A question the coach asked and the answers it offered."""

    kind: Literal["current", "target", "work"]
    choices: list[Choice] = Field(default_factory=list)


class ConversationState(BaseModel):
    plan: Plan | None = None
    suggestions: list[TargetSuggestion] = Field(default_factory=list)
    topic: str | None = None  # the document under discussion
    pending: PendingQuestion | None = None
    near_roles: list[str] = Field(default_factory=list)  # roles closest to an occupation outside the KB
    onboarding: str | None = None

    @classmethod
    def from_stored(cls, data: dict[str, Any] | None) -> ConversationState:
        """What was stored, or a fresh state if it is missing or from an older shape."""
        if not data:
            return cls()
        try:
            return cls.model_validate(data)
        except ValidationError:
            return cls()

    def stored(self) -> dict[str, Any] | None:
        data = self.model_dump(mode="json", exclude_defaults=True)
        return data or None
