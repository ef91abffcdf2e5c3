"""Settings, read from the environment (prefix PORTION_) through get_settings() only."""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from argon2.profiles import RFC_9106_LOW_MEMORY
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
# Development's secret, generated once per installation (var/ is not in git).
SECRET_KEY_FILE = VAR_DIR / "secret_key"
MIN_SECRET_KEY_LENGTH = 32
# The placeholder earlier versions published in this file: anyone could sign tokens with it, so
# it is refused everywhere, development included.
PUBLISHED_PLACEHOLDER_KEY = "change-me-this-is-a-development-placeholder-not-a-secret"
GENERATE_KEY_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


# A production key must look random: at least this many different characters, and not one short
# piece repeated. Not a measure of strength, only a catch for what a person typed ("aaaa...",
# "change-me-change-me-..."), which started before (an operator's walk); token_urlsafe(48)
# has some 40 different characters, and even 32 hex digits have 14 or so.
MIN_SECRET_KEY_DISTINCT = 10
# Hosts a public address may name over plain http in production: the machine itself.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


MAX_SLOTS = 16  # database slots of each kind (reads, writes) per process

# Argon2id's parameters for passwords: RFC 9106's low-memory profile unless set (SECURITY.md).
PASSWORD_PROFILE = RFC_9106_LOW_MEMORY
# OWASP's Password Storage Cheat Sheet lists the Argon2id settings it holds equal: the fewer the
# passes, the more memory (one pass is the most open to trading memory for time). Nothing below
# them is accepted; five passes or more need at least the list's 7 MiB.
MIN_PASSWORD_MEMORY_KIB_BY_PASSES = {1: 47104, 2: 19456, 3: 12288, 4: 9216}
MIN_PASSWORD_MEMORY_KIB = 7168


LOG_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL"}
# Settings a blank value leaves at their default, unset (`_blank_is_unset`).
BLANK_IS_UNSET = frozenset(
    {
        "public_url",
        "mail_from",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "notify_api_key",
        "notify_email_template_id",
        "notify_sms_template_id",
        "notify_letter_template_id",
        "nominatim_domain",
        "metrics_token",
    }
)
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTIFY_KEY = re.compile(f".+-{_UUID}-{_UUID}", re.IGNORECASE)


class ConfigurationError(RuntimeError):
    """A configuration the service must not start with. The message is one line for the
    operator (not a ValueError, so pydantic passes it through instead of wrapping it)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTION_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'portion.db'}"
    # Required in production; development generates one under var/ when unset.
    secret_key: str = ""
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
    # After login_max_failures_per_account failures of one (account, client) pair, each further
    # attempt waits this long, doubled with every further failure, from the latest failure.
    login_lockout_base_s: int = 60
    registrations_per_client_hour: int = 20
    # The service's address as people reach it: links in messages are built from it, never
    # from a request's Host header.
    public_url: str = "http://127.0.0.1:8000"
    # Production refuses an http:// public address (its session cookies would go without
    # Secure) unless it is the machine itself, or this is set: behind a proxy that serves https
    # under another address, say, or on a closed network.
    allow_http_public_url: bool = False
    # Requests of one process that use the database at once, those that only read and the
    # others apart; the rest wait their turn on the event loop (app/db_slots.py). Unset: on
    # SQLite 2 readers, whose queries are this process's own CPU, and 8 writers, who take
    # turns at the write lock anyway (a sign-in lends its slot while Argon2 runs: with 16 the
    # mix's writes were not measurably faster); on PostgreSQL 6 of each (bench/README.md).
    # At most 16 each: together, with the few requests out of theirs while they hash a
    # password (HASH_SLOTS), they must leave some of anyio's 40 worker threads free (a writer
    # waits for the write lock in one, and the holder needs another to commit).
    database_read_slots: int | None = Field(default=None, ge=1, le=MAX_SLOTS)
    database_write_slots: int | None = Field(default=None, ge=1, le=MAX_SLOTS)
    # Argon2id for passwords (app/accounts/passwords.py). Lighter settings sign in faster and
    # refuse fewer sign-ins under load (bench/README.md) and cost an attacker less per guess.
    # A hash made with other settings is made again at the account's next sign-in.
    password_memory_kib: int = Field(
        default=PASSWORD_PROFILE.memory_cost, ge=MIN_PASSWORD_MEMORY_KIB, le=1024 * 1024
    )
    password_time_cost: int = Field(default=PASSWORD_PROFILE.time_cost, ge=1, le=10)
    password_parallelism: int = Field(default=PASSWORD_PROFILE.parallelism, ge=1, le=16)
    # Any letter case ("debug"): a name logging does not know crashed every command with a
    # traceback (an outside check).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # "json": one JSON object per line (request id, route template, method, status, duration).
    log_format: Literal["text", "json"] = "text"
    # /metrics (Prometheus): a bearer token; production without one answers 404 there.
    metrics_token: SecretStr | None = None
    # Where worker processes share their metrics (prometheus_client's multiprocess mode).
    # `portion serve --workers N` sets one up; under another server set this (or
    # PROMETHEUS_MULTIPROC_DIR) to an empty folder for each start.
    metrics_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PORTION_METRICS_DIR", "PROMETHEUS_MULTIPROC_DIR"),
    )
    # Outgoing mail by SMTP (when PORTION_SMTP_HOST is set, or in production). When nothing
    # listens there, messages wait in the outbox and are retried with backoff.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_timeout_s: float = 10.0
    smtp_starttls: bool = False
    # TLS from the first byte (SMTPS, usually port 465), for a server that offers no STARTTLS.
    smtp_implicit_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Extra Portion <noreply@extra-portion.invalid>"
    # Send queued notifications from a thread of the web process (unset: in development only).
    notifications_in_process: bool | None = None
    notifications_interval_s: float = 10.0
    # Who delivers (app/notifications/channels.py). Unset: GOV.UK Notify when its API key is
    # set, else SMTP when PORTION_SMTP_HOST is set or in production, else (development) the
    # local mailbox under mailbox_dir, read at /dev/mail or with `portion mail`.
    notifications_via: Literal["smtp", "notify", "mailbox"] | None = None
    mailbox_dir: Path = VAR_DIR / "mail"
    # GOV.UK Notify: texts and letters (and email with notifications_via=notify), one generic
    # template per channel (app/notifications/notify.py says what each holds).
    notify_api_key: SecretStr | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_timeout_s: float = 10.0
    notify_email_template_id: str | None = None
    notify_sms_template_id: str | None = None
    notify_letter_template_id: str | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        return LOG_LEVEL_ALIASES.get(level, level)  # "warn", as logging itself took it

    @field_validator("database_url")
    @classmethod
    def _a_database_we_run_on(cls, value: str) -> str:
        # Another kind (mysql://, or PostgreSQL through a driver not installed) failed at the
        # first query with a driver's traceback (an outside check).
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
            kind = (url.get_backend_name(), url.get_driver_name())
        except ArgumentError:
            kind = None
        if kind not in (("sqlite", "pysqlite"), ("postgresql", "psycopg")):
            raise ConfigurationError(
                "PORTION_DATABASE_URL must be SQLite (sqlite:///path) or PostgreSQL through "
                f"psycopg 3 (postgresql+psycopg://...), not {value.split(':', 1)[0]}:"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: object) -> object:
        """A setting given blank ("PORTION_SMTP_HOST=" in .env, a placeholder) is not set: it
        counted as set, so an empty SMTP host went unwarned (an outside check)."""
        if not isinstance(values, dict):
            return values
        return {
            name: value
            for name, value in values.items()
            if not (name in BLANK_IS_UNSET and isinstance(value, str) and not value.strip())
        }

    @field_validator("notify_api_key")
    @classmethod
    def _a_notify_key(cls, value: SecretStr | None) -> SecretStr | None:
        # Notify's client reads the service's id and the secret from the key's end: another
        # value failed each send with an AssertionError, retried for ever (an outside check).
        if value is not None and not NOTIFY_KEY.fullmatch(value.get_secret_value()):
            raise ConfigurationError(
                "PORTION_NOTIFY_API_KEY is not a GOV.UK Notify API key: it is the key's name, "
                "then the service's id and the secret, each a UUID, joined by hyphens "
                "(copy it whole from Notify's API integration page)"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _an_address_people_open(cls, value: str) -> str:
        # Without its scheme every link in a message would be a dead one (an outside check).
        if urlsplit(value).scheme not in ("https", "http") or not urlsplit(value).netloc:
            raise ConfigurationError(
                f"PORTION_PUBLIC_URL must be a full address such as "
                f"https://meals.example.gov.uk, not {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _require_a_real_secret(self) -> Settings:
        key = self.secret_key.strip()
        if key == PUBLISHED_PLACEHOLDER_KEY:
            raise ConfigurationError(
                "PORTION_SECRET_KEY is the placeholder published in the source code: unset it "
                f"(development) or set a random value, e.g. from {GENERATE_KEY_HINT}"
            )
        if self.env == "production":
            if len(key) < MIN_SECRET_KEY_LENGTH:
                problem = f"is only {len(key)} characters long" if key else "is not set"
                raise ConfigurationError(
                    f"PORTION_SECRET_KEY {problem}: PORTION_ENV=production needs a random value "
                    f"of at least {MIN_SECRET_KEY_LENGTH} characters, e.g. from {GENERATE_KEY_HINT}"
                )
            if not looks_random(key):
                raise ConfigurationError(
                    "PORTION_SECRET_KEY is not random (too few different characters, or a short "
                    "piece repeated): anyone could guess it and sign in as anyone; set one "
                    f"generated, e.g. from {GENERATE_KEY_HINT}"
                )
        elif not key:
            self.secret_key = installation_secret(SECRET_KEY_FILE)
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"PORTION_METRICS_TOKEN is only {len(token)} characters long: use a random value "
                f"of at least {MIN_SECRET_KEY_LENGTH} characters, e.g. from {GENERATE_KEY_HINT}"
            )
        return self

    @model_validator(mode="after")
    def _https_in_production(self) -> Settings:
        address = urlsplit(self.public_url)
        local = address.hostname in LOCAL_HOSTS
        plain = address.scheme == "http" and not local and not self.allow_http_public_url
        if self.env == "production" and plain:
            raise ConfigurationError(
                f"PORTION_PUBLIC_URL is {self.public_url}, not https: in production, sign-in "
                "cookies would be sent without Secure and links in messages would be "
                "unencrypted; use the https address (or set "
                "PORTION_ALLOW_HTTP_PUBLIC_URL=true if plain http is really meant)"
            )
        return self

    def database_problem(self) -> str | None:
        """Why production must not open the database the settings name, in one line, or None.
        Unset, it was var/portion.db under whichever folder the service started in (an empty
        one was created and served from a new folder: an operator's walk). Checked where a
        command or the app starts, not here: tests build production settings without one."""
        if self.env != "production":
            return None
        if "database_url" not in self.model_fields_set:
            return (
                "PORTION_DATABASE_URL is not set: PORTION_ENV=production needs it, or the "
                "database would be var/portion.db under whichever folder the service starts "
                "in; e.g. postgresql+psycopg://user:password@host/portion or "
                "sqlite:////var/lib/portion/portion.db (four slashes: an absolute path)"
            )
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        memory = not url.database or url.database == ":memory:"
        relative = not memory and not Path(url.database or "").is_absolute()
        if url.get_backend_name() == "sqlite" and relative:
            return (
                f"PORTION_DATABASE_URL names the relative SQLite file {url.database}: in "
                "production it must not depend on the folder the service starts in; use an "
                "absolute path, e.g. sqlite:////var/lib/portion/portion.db (four slashes)"
            )
        return None

    @model_validator(mode="after")
    def _one_kind_of_smtp_tls(self) -> Settings:
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ConfigurationError(
                "PORTION_SMTP_STARTTLS and PORTION_SMTP_IMPLICIT_TLS are both set: a server takes "
                "one (STARTTLS usually on port 587, implicit TLS on 465)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_cheap_password_hashes(self) -> Settings:
        passes = self.password_time_cost
        least = MIN_PASSWORD_MEMORY_KIB_BY_PASSES.get(passes, MIN_PASSWORD_MEMORY_KIB)
        if self.password_memory_kib < least:
            raise ConfigurationError(
                f"PORTION_PASSWORD_MEMORY_KIB is {self.password_memory_kib}: with "
                f"PORTION_PASSWORD_TIME_COST={passes} it must be at least {least} (OWASP's "
                "minimum for Argon2id), or passwords would be too cheap to guess"
            )
        return self

    def production_warnings(self) -> list[str]:
        """One line each for whoever starts the web process or the worker, when production
        lacks a setting its messages need. Warnings, not refusals: the image must start with
        only its key (docker/check.py), and these may come afterwards."""
        if self.env != "production":
            return []
        warnings = []
        # Email goes by SMTP unless Notify has both a key and an email template (and no SMTP
        # host is set): app.notifications.channels.chosen_provider.
        notify_email = self.notifications_via == "notify" or (
            self.notifications_via is None
            and self.notify_api_key is not None
            and bool(self.notify_email_template_id)
            and "smtp_host" not in self.model_fields_set
        )
        if not notify_email and "smtp_host" not in self.model_fields_set:
            # Email would go to the default SMTP host, where nothing may listen. A Notify key
            # without an email template hid this (an outside check).
            notify = (
                " (PORTION_NOTIFY_API_KEY alone does not send email: it needs "
                "PORTION_NOTIFY_EMAIL_TEMPLATE_ID too)"
                if self.notify_api_key is not None and not self.notify_email_template_id
                else ""
            )
            warnings.append(
                "Warning: no mail settings in production: email goes to the default SMTP server "
                f"{self.smtp_host}:{self.smtp_port}, and if nothing takes it there, no one gets "
                "a message (password resets included): set PORTION_SMTP_HOST or "
                f"PORTION_NOTIFY_API_KEY with PORTION_NOTIFY_EMAIL_TEMPLATE_ID{notify}"
            )
        elif not notify_email and "smtp_port" not in self.model_fields_set:
            # The README's own example set the host alone (an outside check).
            warnings.append(
                f"Warning: PORTION_SMTP_PORT is not set: email goes to {self.smtp_host} on port "
                f"{self.smtp_port}, a development mail catcher's: set it (usually 587, with "
                "PORTION_SMTP_STARTTLS=true)"
            )
        encrypted = self.smtp_starttls or self.smtp_implicit_tls
        if not notify_email and self.smtp_username and not encrypted:
            warnings.append(
                "Warning: PORTION_SMTP_USERNAME is set without PORTION_SMTP_STARTTLS=true (or "
                "PORTION_SMTP_IMPLICIT_TLS=true): the mail server's password is sent unencrypted"
            )
        if "public_url" not in self.model_fields_set:
            # An operator's container sent reset links to 127.0.0.1 (an outside check).
            warnings.append(
                f"Warning: PORTION_PUBLIC_URL is not set: links in messages (password resets "
                f"included) point at {self.public_url}, which nobody else can open: set it to the "
                "address people use, e.g. https://meals.example.gov.uk"
            )
        if "mail_from" not in self.model_fields_set and not notify_email:
            warnings.append(
                f"Warning: PORTION_MAIL_FROM is not set: email is sent from {self.mail_from}, "
                "an address that does not exist, which many mail servers refuse: set it to the "
                "council's own"
            )
        if self.notify_api_key is None or not self.notify_letter_template_id:
            # Letters go only by Notify: each was marked failed when sent (an outside check).
            warnings.append(
                "Warning: no letters can be posted: a diner without a carer gets their meal plan "
                "and changes to it only by letter, through GOV.UK Notify: set "
                "PORTION_NOTIFY_API_KEY and PORTION_NOTIFY_LETTER_TEMPLATE_ID"
            )
        return warnings

    @property
    def sends_notifications_in_process(self) -> bool:
        if self.notifications_in_process is None:
            return self.env == "development"
        return self.notifications_in_process

    def link(self, path: str) -> str:
        """`path` ("/cook/") on the service's address as people reach it: links in messages are
        built here, never from a request's Host header."""
        return f"{self.public_url.rstrip('/')}{path}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def database_slots(self, *, read_only: bool) -> int:
        chosen = self.database_read_slots if read_only else self.database_write_slots
        if chosen is not None:
            return chosen
        if not self.is_sqlite:
            return 6
        return 2 if read_only else 8


@lru_cache
def get_settings() -> Settings:
    return Settings()


def looks_random(key: str) -> bool:
    """Whether `key` could have come from a random generator (MIN_SECRET_KEY_DISTINCT)."""
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return False
    # A piece of up to half its length repeated (the last copy may be cut short).
    return not any(
        key == (key[:size] * (len(key) // size + 1))[: len(key)]
        for size in range(1, len(key) // 2 + 1)
    )


def installation_secret(path: Path) -> str:
    """The random secret kept in `path` (mode 0600), created the first time it is needed."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = _create_secret(path)
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"{path} holds no usable secret (under {MIN_SECRET_KEY_LENGTH} characters): "
            "delete it and a new one is generated"
        )
    return key


def _create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
        try:
            # Appears complete, and only if no other process (another worker) got there first.
            os.link(draft, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        except OSError:  # a file system without hard links
            if path.exists():
                return path.read_text(encoding="utf-8").strip()
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return key
