"""Settings from the environment and `.env`, built once in the composition root."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


# Comma-separated in the environment ("123,456"), not JSON.
IdList = Annotated[list[int], NoDecode]


class Settings(BaseSettings):
    """Every setting the coach reads, by the environment names the README lists."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", validation_alias=_env("COACH_KNOWLEDGE_DIR"))
    data_dir: Path = Field(Path("data"), validation_alias=_env("COACH_DATA_DIR"))
    database_url: str | None = Field(None, validation_alias=_env("COACH_DATABASE_URL"))

    chroma_host: str | None = Field(None, validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=_env("CHROMA_PORT"))
    chroma_collection_prefix: str = Field("coach", validation_alias=_env("COACH_COLLECTION_PREFIX"))

    embeddings: Literal["local", "openai"] = Field("local", validation_alias=_env("COACH_EMBEDDINGS"))
    embedding_model: str = Field("text-embedding-3-small", validation_alias=_env("COACH_EMBEDDING_MODEL"))
    embedding_batch_size: int = Field(64, ge=1, le=2048, validation_alias=_env("COACH_EMBEDDING_BATCH"))

    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    llm_model: str = Field("gpt-4o-mini", validation_alias=_env("COACH_LLM_MODEL"))
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", validation_alias=_env("COACH_PROMPTS_DIR"))
    llm_timeout_seconds: float = Field(30.0, gt=0, le=300, validation_alias=_env("COACH_LLM_TIMEOUT"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_base_url: str | None = Field(None, validation_alias=_env("TELEGRAM_API_BASE_URL"))
    telegram_admin_ids: IdList = Field(default_factory=list, validation_alias=_env("TELEGRAM_ADMIN_IDS"))
    telegram_webhook_url: str | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_URL"))
    telegram_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET"))
    telegram_webhook_listen: str = Field("0.0.0.0", validation_alias=_env("TELEGRAM_WEBHOOK_LISTEN"))
    telegram_webhook_port: int = Field(8443, validation_alias=_env("TELEGRAM_WEBHOOK_PORT"))
    rate_limit_per_minute: int = Field(6, ge=1, le=1000, validation_alias=_env("COACH_RATE_LIMIT_PER_MINUTE"))

    discord_bot_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_BOT_TOKEN"))
    discord_admin_role_ids: IdList = Field(
        default_factory=list, validation_alias=_env("DISCORD_ADMIN_ROLE_IDS")
    )
    discord_admin_user_ids: IdList = Field(
        default_factory=list, validation_alias=_env("DISCORD_ADMIN_USER_IDS")
    )
    discord_guild_ids: IdList = Field(default_factory=list, validation_alias=_env("DISCORD_GUILD_IDS"))
    # Reload and stats are deployment-wide: server managers count as admins only in these servers.
    discord_admin_guild_ids: IdList = Field(
        default_factory=list, validation_alias=_env("DISCORD_ADMIN_GUILD_IDS")
    )
    # A REST proxy in front of Discord's API (large deployments share rate limits through one).
    discord_api_base_url: str | None = Field(None, validation_alias=_env("DISCORD_API_BASE_URL"))

    discord_message_content: bool = Field(False, validation_alias=_env("DISCORD_MESSAGE_CONTENT"))
    discord_shard_count: int | None = Field(None, ge=1, validation_alias=_env("DISCORD_SHARD_COUNT"))

    # A folder holding the GPTs-are-GPTs files (full_labelset.tsv); default: the data folder's
    # `occupations/`, where `coach data fetch` puts them.
    occupation_data: Path | None = Field(None, validation_alias=_env("COACH_OCCUPATION_DATA"))

    log_level: str = Field("WARNING", validation_alias=_env("COACH_LOG_LEVEL"))
    # /healthz and /metrics: off unless a port is set; loopback unless told otherwise.
    http_port: int | None = Field(None, ge=1, le=65535, validation_alias=_env("COACH_HTTP_PORT"))
    http_host: str = Field("127.0.0.1", validation_alias=_env("COACH_HTTP_HOST"))
    shutdown_grace_seconds: float = Field(
        30.0, ge=0, le=600, validation_alias=_env("COACH_SHUTDOWN_GRACE_SECONDS")
    )
    index_watch_seconds: float = Field(2.0, gt=0, le=300, validation_alias=_env("COACH_INDEX_WATCH_SECONDS"))
    # Weekly check-ins: the bots offer them (people still opt in one by one); "off" removes them.
    checkins: bool = Field(True, validation_alias=_env("COACH_CHECKINS"))
    checkin_scan_seconds: float = Field(
        60.0, gt=0, le=3600, validation_alias=_env("COACH_CHECKIN_SCAN_SECONDS")
    )

    @field_validator(
        "telegram_admin_ids",
        "discord_admin_role_ids",
        "discord_admin_user_ids",
        "discord_guild_ids",
        "discord_admin_guild_ids",
        mode="before",
    )
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        # Operators write "123,456" in .env; pydantic-settings would expect JSON.
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @property
    def webhook_secret(self) -> str | None:
        """The secret Telegram sends with each update; derived from the token when not set, so
        every replica behind a load balancer agrees on it without another setting."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        if self.telegram_bot_token is None:
            return None
        token = self.telegram_bot_token.get_secret_value().encode()
        return hashlib.sha256(b"webhook:" + token).hexdigest()[:48]

    def secrets(self) -> list[str]:
        """Every secret value, for the log filter that keeps them out of every log line."""
        values = [self.webhook_secret]
        for secret in (self.telegram_bot_token, self.discord_bot_token, self.openai_api_key):
            values.append(secret.get_secret_value() if secret is not None else None)
        password = urlsplit(self.resolved_database_url).password
        values.append(unquote(password) if password else None)
        return [v for v in values if v and len(v) >= 4]

    @property
    def occupation_folders(self) -> list[Path]:
        return [p for p in (self.occupation_data, self.data_dir / "occupations") if p is not None]

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'coach.db'}"

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
