"""Settings, read from the environment (prefix PORTION_) through get_settings() only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The placeholder a development machine runs with; production refuses it.
DEFAULT_SECRET_KEY = "change-me-this-is-a-development-placeholder-not-a-secret"
VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTION_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'portion.db'}"
    secret_key: str = DEFAULT_SECRET_KEY
    access_token_minutes: int = 60
    session_hours: int = 8
    geocoder: Literal["offline", "postcodes_io", "nominatim"] = "offline"
    geocoder_timeout_s: float = 3.0
    postcodes_io_url: str = "https://api.postcodes.io"
    nominatim_domain: str | None = None
    # Failed sign-ins tolerated in the window before 429 (API.md).
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 5
    login_max_failures_per_client: int = 50
    log_level: str = "INFO"
    # Outgoing mail. Development talks to a local catcher on 127.0.0.1:1025; when nothing
    # listens there, messages wait in the outbox and are retried with backoff.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_timeout_s: float = 10.0
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Extra Portion <noreply@extra-portion.invalid>"
    # Send queued notifications from a thread of the web process (unset: in development only).
    notifications_in_process: bool | None = None
    notifications_interval_s: float = 10.0

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (
            not self.secret_key
            or self.secret_key == DEFAULT_SECRET_KEY
            or len(self.secret_key) < 32
        ):
            raise ValueError(
                "PORTION_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )
        return self

    @property
    def sends_notifications_in_process(self) -> bool:
        if self.notifications_in_process is None:
            return self.env == "development"
        return self.notifications_in_process

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
