"""Mail you can see in development: the local mailbox, /dev/mail and `portion mail`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.config import ConfigurationError, Settings, get_settings
from app.notifications.channels import delivery_from_settings, describe_delivery
from app.notifications.mailbox import MailboxChannel, read_mailbox
from app.notifications.sender import Outgoing, send_due
from tests.conftest import TEST_SETTINGS
from tests.notifications.conftest import email_of, load, queue
from tests.pages.helpers import inline_scripts_without_the_nonce, title

SECRET = TEST_SETTINGS.secret_key


def development(mailbox: Path, **overrides: object) -> Settings:
    """A newcomer's settings: development, no SMTP host, no Notify key."""
    return Settings(secret_key=SECRET, mailbox_dir=mailbox, **overrides)  # type: ignore[arg-type]


def reset_message(mailbox: Path) -> Outgoing:
    item = Outgoing(
        id=1,
        event="password_reset",
        channel="email",
        to="edna@example.org",
        subject="Reset your password",
        body="Follow this link: http://127.0.0.1:8000/reset-password?token=abc",
        message_id="<0123456789abcdef@extra-portion.invalid>",
    )
    MailboxChannel(mailbox).deliver(item, datetime(2026, 11, 30, 9, 15))
    return item


def test_message_lands_in_mailbox_when_development_has_no_smtp_or_notify(
    fresh_engine: Engine, tmp_path: Path, now: datetime
):
    [queued] = queue(fresh_engine)
    channels = delivery_from_settings(development(tmp_path)).channels

    assert send_due(fresh_engine, channels=channels, worker_id="w1", now=now) == 1

    [got] = read_mailbox(tmp_path)
    assert (got.channel, got.to, got.subject) == (
        "email",
        email_of(fresh_engine, queued),
        "Your meal tomorrow (0)",
    )
    assert got.body == "See you at 17:30."
    stored = load(fresh_engine, queued.id)
    assert (stored.status, stored.provider, stored.attempts) == ("sent", "mailbox", 1)


def test_smtp_is_used_when_development_sets_an_smtp_host(tmp_path: Path):
    delivery = delivery_from_settings(development(tmp_path, smtp_host="127.0.0.1"))

    assert delivery.via == "smtp" and delivery.channels["email"].provider == "smtp"


def test_start_says_where_mail_goes_when_development_uses_the_mailbox(tmp_path: Path):
    line = describe_delivery(development(tmp_path), base_url="http://127.0.0.1:8001")

    assert f"local mailbox in {tmp_path}/" in line
    assert "http://127.0.0.1:8001/dev/mail" in line and "`portion mail`" in line


def test_production_refuses_the_mailbox_when_asked_for_it(tmp_path: Path):
    settings = Settings(
        env="production", secret_key=SECRET, mailbox_dir=tmp_path, notifications_via="mailbox"
    )

    with pytest.raises(ConfigurationError, match="development only"):
        delivery_from_settings(settings)


@pytest.fixture
def dev_client(client: TestClient, tmp_path: Path) -> Iterator[TestClient]:
    """A browser on the machine itself (127.0.0.1), the app in development."""
    from app.main import app

    app.dependency_overrides[get_settings] = lambda: development(tmp_path)
    yield TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000))


def test_dev_mail_page_is_not_found_from_another_machine(client: TestClient, tmp_path: Path):
    """Its reset links reset any account: a development server started on 0.0.0.0 showed them
    to the whole network."""
    from app.main import app

    reset_message(tmp_path)
    app.dependency_overrides[get_settings] = lambda: development(tmp_path)
    for address in ("192.168.1.20", "2001:db8::7"):
        page = TestClient(app, client=(address, 50000)).get("/dev/mail")
        assert page.status_code == 404, address
        assert "Reset your password" not in page.text


def test_dev_mail_page_is_not_found_under_another_sites_name(
    dev_client: TestClient, tmp_path: Path
):
    """A security review: a page of another site whose name resolves to 127.0.0.1 (DNS
    rebinding) could read the reset links; the browser sends that site's name as Host."""
    reset_message(tmp_path)

    page = dev_client.get("/dev/mail", headers={"Host": "attacker.example:8000"})

    assert page.status_code == 404
    assert "Reset your password" not in page.text
    assert dev_client.get("/dev/mail", headers={"Host": "localhost:8000"}).status_code == 200


def test_dev_mail_page_shows_the_message_when_in_development(
    dev_client: TestClient, tmp_path: Path
):
    reset_message(tmp_path)

    page = dev_client.get("/dev/mail")

    assert page.status_code == 200
    assert title(page) == "Mail sent in development – Extra Portion"
    assert "Reset your password" in page.text and "edna@example.org" in page.text
    link = "http://127.0.0.1:8000/reset-password?token=abc"
    assert f'<a href="{link}"' in page.text  # a newcomer can follow it
    assert inline_scripts_without_the_nonce(page) == []


def test_dev_mail_page_is_not_found_when_in_production(client: TestClient, tmp_path: Path):
    from app.main import app

    reset_message(tmp_path)
    app.dependency_overrides[get_settings] = lambda: Settings(
        env="production", secret_key=SECRET, mailbox_dir=tmp_path
    )

    page = client.get("/dev/mail")

    assert page.status_code == 404
    assert "Reset your password" not in page.text


@pytest.fixture
def cli_mailbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PORTION_SECRET_KEY", SECRET)
    monkeypatch.setenv("PORTION_MAILBOX_DIR", str(tmp_path))
    monkeypatch.delenv("PORTION_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_portion_mail_prints_the_newest_message_when_there_is_one(cli_mailbox: Path):
    reset_message(cli_mailbox)

    result = CliRunner().invoke(cli, ["mail"])

    assert result.exit_code == 0, result.output
    [first, *_] = result.output.splitlines()
    assert first.startswith(f"The development mailbox, {cli_mailbox}/")
    # No server's address: this command cannot know its port (it named 8000 beside 8151).
    assert "http://" not in first and "/dev/mail" in first
    assert "email to edna@example.org" in result.output
    assert "Subject: Reset your password" in result.output
    assert "reset-password?token=abc" in result.output
