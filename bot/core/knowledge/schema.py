"""Front-matter models of the knowledge documents (design/interfaces.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

DocId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/$.?#][^\s]*$")]

DocType = Literal["role", "skill", "guide"]
FOLDER_OF_TYPE: dict[str, str] = {"role": "roles", "skill": "skills", "guide": "guides"}


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: NonEmpty
    url: Url
    year: int | None = Field(None, ge=1900, le=2100)


class SkillRequirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: DocId
    level: int = Field(ge=1, le=5)


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: NonEmpty
    url: Url
    kind: Literal["course", "book", "practice", "docs"]
    hours: float = Field(gt=0, le=500)
    free: bool


class Exposure(BaseModel):
    """Eloundou et al. (2024) exposure of the matching O*NET occupation."""

    model_config = ConfigDict(extra="allow")

    onet_code: NonEmpty
    onet_title: NonEmpty
    gpt4_beta: float = Field(ge=0, le=1)
    human_beta: float = Field(ge=0, le=1)


class DocumentMeta(BaseModel):
    """Keys every document has. Extra keys are allowed and kept."""

    model_config = ConfigDict(extra="allow")

    id: DocId
    type: DocType
    title: NonEmpty
    summary: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _empty_keys_are_absent(cls, data: object) -> object:
        # "transitions:" with nothing after it is YAML null; treat it as not given.
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("aliases")
    @classmethod
    def _lower_aliases(cls, aliases: list[str]) -> list[str]:
        return [alias.strip().lower() for alias in aliases]


class RoleMeta(DocumentMeta):
    type: Literal["role"]
    category: Literal["at-risk", "transforming", "emerging", "resilient"]
    skills: list[SkillRequirement] = Field(min_length=1)
    transitions: list[DocId] = Field(default_factory=list)
    transition_reasons: dict[str, NonEmpty] = Field(default_factory=dict)
    onet_codes: list[NonEmpty] = Field(default_factory=list)
    exposure: Exposure | None = None


class SkillMeta(DocumentMeta):
    type: Literal["skill"]
    category: Literal["human", "ai-literacy", "technical", "governance"]
    prerequisites: list[DocId] = Field(default_factory=list)
    hours: float = Field(gt=0, le=1000)
    resources: list[Resource] = Field(min_length=2)
    practice: list[NonEmpty] = Field(default_factory=list)


class GuideMeta(DocumentMeta):
    type: Literal["guide"]
    tags: list[NonEmpty] = Field(default_factory=list)


META_MODEL_OF_TYPE: dict[str, type[DocumentMeta]] = {
    "role": RoleMeta,
    "skill": SkillMeta,
    "guide": GuideMeta,
}
