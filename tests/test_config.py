"""Settings: development's secret is generated per installation; production needs a real one."""

from __future__ import annotations

import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY
from pydantic import ValidationError

from app.config import (
    PUBLISHED_PLACEHOLDER_KEY,
    SECRET_KEY_FILE,
    ConfigurationError,
    Settings,
    get_settings,
    installation_secret,
)

# The shape of a GOV.UK Notify API key: a name, the service's id and the secret.
# A key as a generator makes one (production refuses one that is plainly not random).
KEY = "Zq3v8Lw1Xr5Tn0Pb7Ye2Uc9Ms4Ho6GdJ"
NOTIFY_KEY = (
    "portion_test-0c0f6f3b-6a0e-4e0e-9f39-3f6c1a2b3c4d-7d8e9f00-1111-4222-8333-444455556666"
)


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh installation directory (the working directory) with no PORTION_ settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTION_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTION_ENV", raising=False)
    for name in ("MEMORY_KIB", "TIME_COST", "PARALLELISM"):
        monkeypatch.delenv(f"PORTION_PASSWORD_{name}", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_secret_key_is_random_and_kept_in_var_when_development_has_none(installation: Path):
    key = get_settings().secret_key

    kept = installation / SECRET_KEY_FILE
    assert kept.parent.name == "var"
    assert kept.read_text().strip() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert key != PUBLISHED_PLACEHOLDER_KEY
    assert len(key) >= 32


def test_secret_key_is_reused_when_development_starts_again(installation: Path):
    first = get_settings().secret_key
    get_settings.cache_clear()

    assert get_settings().secret_key == first


def test_secret_keys_differ_when_installations_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PORTION_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTION_ENV", raising=False)
    keys = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        keys.append(Settings().secret_key)

    assert keys[0] != keys[1]


def test_every_process_gets_the_same_secret_when_they_start_together(tmp_path: Path):
    path = tmp_path / "var" / "secret_key"
    start = threading.Barrier(8)
    keys: list[str] = []

    def first_start() -> None:
        start.wait()
        keys.append(installation_secret(path))

    threads = [threading.Thread(target=first_start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8 and len(set(keys)) == 1
    assert path.read_text().strip() == keys[0]
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]


def test_explicit_secret_key_is_used_and_nothing_written_when_development_sets_one(
    installation: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PORTION_SECRET_KEY", "a-secret-chosen-by-the-developer-0123456789")

    assert get_settings().secret_key == "a-secret-chosen-by-the-developer-0123456789"
    assert not (installation / "var").exists()


def test_placeholder_secret_key_is_refused_when_development_sets_it(
    installation: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PORTION_SECRET_KEY", PUBLISHED_PLACEHOLDER_KEY)

    with pytest.raises(ConfigurationError, match="placeholder"):
        get_settings()


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("too-short-for-production", "is only 24 characters long"),
        (PUBLISHED_PLACEHOLDER_KEY, "placeholder"),
        # Typed, not generated: both started in production (an operator's walk).
        ("a" * 40, "is not random"),
        ("change-me-change-me-change-me-change-me", "is not random"),
        ("0123456789abcdef" * 3, "is not random"),
    ],
)
def test_production_refuses_to_start_when_secret_key_is_not_a_real_secret(
    installation: Path, monkeypatch: pytest.MonkeyPatch, key: str | None, problem: str
):
    monkeypatch.setenv("PORTION_ENV", "production")
    if key is not None:
        monkeypatch.setenv("PORTION_SECRET_KEY", key)

    with pytest.raises(ConfigurationError, match=problem) as refused:
        get_settings()

    assert "\n" not in str(refused.value)
    assert not (installation / "var").exists()  # production never generates a secret


def test_production_uses_its_secret_key_when_long_enough(
    installation: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PORTION_ENV", "production")
    monkeypatch.setenv("PORTION_SECRET_KEY", KEY)

    assert get_settings().secret_key == KEY


@pytest.mark.parametrize(
    ("settings", "warned"),
    [
        ({"env": "production"}, True),
        ({"env": "production", "smtp_host": "mail.internal"}, False),
        ({"env": "production", "smtp_host": "127.0.0.1"}, False),  # said, so meant
        # a key alone sends no email: it went to the default SMTP server unsaid (an outside check)
        ({"env": "production", "notify_api_key": NOTIFY_KEY}, True),
        (
            {"env": "production", "notify_api_key": NOTIFY_KEY, "notify_email_template_id": "t"},
            False,
        ),
        ({"env": "development"}, False),  # the local mailbox takes it
    ],
    ids=[
        "production-unset",
        "smtp-host",
        "smtp-host-default",
        "notify-key-alone",
        "notify-key-and-template",
        "development",
    ],
)
def test_mail_warning_is_given_only_when_production_has_no_mail_settings(
    installation: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], warned: bool
):
    monkeypatch.delenv("PORTION_SMTP_HOST", raising=False)
    monkeypatch.delenv("PORTION_NOTIFY_API_KEY", raising=False)
    warnings = Settings(secret_key=KEY, **settings).production_warnings()
    [warning] = [w for w in warnings if "mail settings" in w] or [None]

    assert (warning is not None) == warned
    if warning is not None:
        assert "\n" not in warning and "PORTION_SMTP_HOST" in warning


SMTP = {"smtp_host": "mail", "smtp_port": 587}
NOTIFY = {"notify_api_key": NOTIFY_KEY, "notify_email_template_id": "e"}
LETTERS = {"notify_api_key": NOTIFY_KEY, "notify_letter_template_id": "l"}
ADDRESS, SENDER = "PORTION_PUBLIC_URL is not set", "PORTION_MAIL_FROM is not set"
NO_LETTERS, NO_MAIL = "no letters can be posted", "no mail settings in production"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (SMTP, [ADDRESS, SENDER, NO_LETTERS]),
        (SMTP | {"public_url": "https://meals.example.gov.uk"}, [SENDER, NO_LETTERS]),
        (SMTP | {"mail_from": "meals@example.gov.uk"}, [ADDRESS, NO_LETTERS]),
        (SMTP | LETTERS, [ADDRESS, SENDER]),
        (NOTIFY | LETTERS, [ADDRESS]),  # email by Notify: no sender of our own
        ({"notify_api_key": NOTIFY_KEY}, [NO_MAIL, ADDRESS, SENDER, NO_LETTERS]),
        # the host alone: port 1025, a mail catcher's (the README's example did so)
        ({"smtp_host": "mail"}, ["PORTION_SMTP_PORT is not set", ADDRESS, SENDER, NO_LETTERS]),
        (
            SMTP | LETTERS | {"smtp_username": "meals"},
            [
                "PORTION_SMTP_USERNAME is set without PORTION_SMTP_STARTTLS=true (or "
                "PORTION_SMTP_IMPLICIT_TLS=true)",
                ADDRESS,
                SENDER,
            ],
        ),
        (SMTP | LETTERS | {"smtp_username": "meals", "smtp_starttls": True}, [ADDRESS, SENDER]),
        (SMTP | LETTERS | {"smtp_username": "m", "smtp_implicit_tls": True}, [ADDRESS, SENDER]),
    ],
)
def test_production_without_what_its_messages_need_is_warned_about_each(
    installation: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], named: list[str]
):
    """Links in messages are built from PORTION_PUBLIC_URL: unset, a container sent password
    reset links to 127.0.0.1; letters, email by a key alone and a host without its port went
    nowhere unsaid (outside checks)."""
    for name in (
        "PUBLIC_URL",
        "MAIL_FROM",
        "NOTIFY_API_KEY",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_USERNAME",
    ):
        monkeypatch.delenv(f"PORTION_{name}", raising=False)
    warnings = Settings(secret_key=KEY, env="production", **settings).production_warnings()
    assert [w.split(":")[1].strip() for w in warnings] == named
    assert all(w.startswith("Warning: ") and "\n" not in w for w in warnings)
    development = Settings(secret_key=KEY, env="development", **settings)
    assert development.production_warnings() == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("log_level", "verbose", "log_level"),
        ("database_url", "mysql://db/portion", "PORTION_DATABASE_URL must be"),
        ("database_url", "postgresql+psycopg2://db/portion", "not postgresql\\+psycopg2:"),
        ("public_url", "meals.example.gov.uk", "PORTION_PUBLIC_URL must be"),
        ("public_url", "https://", "PORTION_PUBLIC_URL must be"),
        ("notify_api_key", "garbage", "PORTION_NOTIFY_API_KEY is not a GOV.UK Notify API key"),
        ("smtp_implicit_tls", "true", "PORTION_SMTP_STARTTLS and PORTION_SMTP_IMPLICIT_TLS"),
    ],
)
def test_a_setting_of_the_wrong_kind_is_refused_in_one_line_when_read(
    installation: Path, name: str, value: str, message: str
):
    both_tls = {"smtp_starttls": True} if name == "smtp_implicit_tls" else {}
    with pytest.raises((ConfigurationError, ValidationError), match=message):
        Settings(secret_key=KEY, **both_tls, **{name: value})


@pytest.mark.parametrize(
    ("given", "level"),
    [("debug", "DEBUG"), ("Warning", "WARNING"), ("warn", "WARNING"), ("FATAL", "CRITICAL")],
)
def test_a_log_level_logging_knows_is_read_in_any_letter_case_when_set(
    installation: Path, given: str, level: str
):
    assert Settings(secret_key=KEY, log_level=given).log_level == level


@pytest.mark.parametrize(
    "url", ["sqlite:///var/portion.db", "sqlite+pysqlite:///x.db", "postgresql+psycopg://u@db/p"]
)
def test_a_database_we_run_on_is_accepted_in_each_spelling_when_set(installation: Path, url: str):
    assert Settings(secret_key=KEY, database_url=url).database_url == url


def test_an_empty_notify_key_is_no_key_when_set_so(installation: Path):
    # "PORTION_NOTIFY_API_KEY=" is a common placeholder in an .env of an SMTP-only service.
    assert Settings(secret_key=KEY, notify_api_key=" ").notify_api_key is None


def test_unusable_secret_file_is_refused_when_development_reads_it(installation: Path):
    (installation / "var").mkdir()
    (installation / SECRET_KEY_FILE).write_text("\n")

    with pytest.raises(ConfigurationError, match="delete it"):
        get_settings()


# --- Argon2's parameters --------------------------------------------------------------------


def test_password_hashes_follow_rfc_9106_low_memory_unless_set(installation: Path):
    settings = get_settings()

    chosen = (
        settings.password_memory_kib,
        settings.password_time_cost,
        settings.password_parallelism,
    )
    profile = RFC_9106_LOW_MEMORY
    assert chosen == (profile.memory_cost, profile.time_cost, profile.parallelism)


@pytest.mark.parametrize(
    ("memory_kib", "passes"),
    [("47104", "1"), ("19456", "2"), ("12288", "3"), ("9216", "4"), ("7168", "5"), ("7168", "9")],
)
def test_password_hashes_may_be_as_light_as_owasp_allows(
    installation: Path, monkeypatch: pytest.MonkeyPatch, memory_kib: str, passes: str
):
    monkeypatch.setenv("PORTION_PASSWORD_MEMORY_KIB", memory_kib)
    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", passes)

    settings = get_settings()
    assert (settings.password_memory_kib, settings.password_time_cost) == (
        int(memory_kib),
        int(passes),
    )


@pytest.mark.parametrize(
    ("memory_kib", "passes"),
    [("47103", "1"), ("35840", "1"), ("19455", "2"), ("12287", "3"), ("9215", "4"), ("8192", "4")],
)
def test_password_hashes_lighter_than_owasp_allows_are_refused(
    installation: Path, monkeypatch: pytest.MonkeyPatch, memory_kib: str, passes: str
):
    monkeypatch.setenv("PORTION_PASSWORD_MEMORY_KIB", memory_kib)
    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", passes)

    with pytest.raises(ConfigurationError, match="PORTION_PASSWORD_MEMORY_KIB is") as refused:
        get_settings()
    assert "\n" not in str(refused.value)


def test_password_hash_memory_below_owasp_is_refused_whatever_the_passes(
    installation: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PORTION_PASSWORD_MEMORY_KIB", "4096")
    monkeypatch.setenv("PORTION_PASSWORD_TIME_COST", "10")

    with pytest.raises(ValidationError, match="password_memory_kib"):
        get_settings()


def test_readme_has_a_row_for_every_setting_and_no_other_when_read():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    first_cells = [
        line.split(" | ")[0] for line in readme.splitlines() if line.startswith("| `PORTION_")
    ]
    documented = {name for cell in first_cells for name in re.findall(r"PORTION_\w+", cell)}

    assert documented == {f"PORTION_{field.upper()}" for field in Settings.model_fields}


def test_a_blank_setting_is_unset_and_warned_about_as_unset_when_production_starts(
    installation: Path, monkeypatch: pytest.MonkeyPatch
):
    # "PORTION_SMTP_HOST=" counted as set: no mail warning, and mail sent to an empty host (an
    # outside check).
    for name in ("SMTP_HOST", "PUBLIC_URL", "NOTIFY_API_KEY"):
        monkeypatch.setenv(f"PORTION_{name}", " ")
    settings = Settings(secret_key=KEY, env="production")

    assert settings.smtp_host == "127.0.0.1" and settings.notify_api_key is None
    assert not {"smtp_host", "public_url", "notify_api_key"} & settings.model_fields_set
    said = [w.split(":")[1].strip() for w in settings.production_warnings()]
    assert said[:2] == [NO_MAIL, ADDRESS]


def test_the_mail_warning_names_the_missing_template_only_when_it_is_the_reason(
    installation: Path,
):
    with_template = Settings(
        secret_key=KEY, env="production", notifications_via="smtp", **NOTIFY
    ).production_warnings()
    key_alone = Settings(
        secret_key=KEY, env="production", notify_api_key=NOTIFY_KEY
    ).production_warnings()
    assert "EMAIL_TEMPLATE_ID too" not in with_template[0]
    assert "EMAIL_TEMPLATE_ID too" in key_alone[0]


@pytest.mark.parametrize(
    ("public_url", "allowed", "refused"),
    [
        ("http://meals.example.gov.uk", None, True),
        ("http://meals.example.gov.uk", "true", False),
        ("https://meals.example.gov.uk", None, False),
        ("http://127.0.0.1:8000", None, False),
        ("http://localhost:8000", None, False),
    ],
)
def test_production_refuses_an_http_public_url_unless_local_or_allowed(
    installation: Path,
    monkeypatch: pytest.MonkeyPatch,
    public_url: str,
    allowed: str | None,
    refused: bool,
):
    # Over http the session cookie went without Secure (an operator's walk).
    monkeypatch.setenv("PORTION_ENV", "production")
    monkeypatch.setenv("PORTION_SECRET_KEY", KEY)
    monkeypatch.setenv("PORTION_PUBLIC_URL", public_url)
    if allowed is not None:
        monkeypatch.setenv("PORTION_ALLOW_HTTP_PUBLIC_URL", allowed)

    if refused:
        with pytest.raises(ConfigurationError, match=r"PORTION_PUBLIC_URL .* not https") as no:
            get_settings()
        assert "\n" not in str(no.value) and "PORTION_ALLOW_HTTP_PUBLIC_URL" in str(no.value)
    else:
        assert get_settings().public_url == public_url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (None, "PORTION_DATABASE_URL is not set"),
        ("sqlite:///var/portion.db", "relative SQLite file var/portion.db"),
        ("sqlite:////var/lib/portion/portion.db", None),
        ("postgresql+psycopg://portion@db/portion", None),
    ],
)
def test_production_names_its_database_absolutely(
    installation: Path, monkeypatch: pytest.MonkeyPatch, url: str | None, problem: str | None
):
    # Unset, production created and served an empty ./var/portion.db wherever it started.
    monkeypatch.setenv("PORTION_ENV", "production")
    monkeypatch.setenv("PORTION_SECRET_KEY", KEY)
    if url is not None:
        monkeypatch.setenv("PORTION_DATABASE_URL", url)

    found = get_settings().database_problem()

    assert (found is None) if problem is None else (problem in (found or "")), found
    monkeypatch.setenv("PORTION_ENV", "development")
    get_settings.cache_clear()
    assert get_settings().database_problem() is None
