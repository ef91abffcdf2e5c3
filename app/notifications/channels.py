"""Which service delivers each channel, from the settings; and a sentence saying where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.config import ConfigurationError, Settings
from app.notifications.mailbox import LOCAL_MAILBOX, MailboxChannel
from app.notifications.sender import Channel, MailChannel, SmtpMailer

Provider = Literal["smtp", "notify", "mailbox"]
CHANNELS = ("email", "sms", "letter")


@dataclass(frozen=True)
class Delivery:
    via: Provider  # who takes email
    channels: dict[str, Channel]


def chosen_provider(settings: Settings) -> Provider:
    """Who takes email: PORTION_NOTIFICATIONS_VIA, or Notify with a key and an email template;
    SMTP when its host is set or in production; else the development mailbox (nothing to set
    up, nothing deferred)."""
    if settings.notifications_via is not None:
        return settings.notifications_via
    notify_email = settings.notify_api_key is not None and settings.notify_email_template_id
    if notify_email and "smtp_host" not in settings.model_fields_set:
        return "notify"
    if "smtp_host" in settings.model_fields_set or settings.env == "production":
        return "smtp"
    return "mailbox"


def delivery_from_settings(settings: Settings) -> Delivery:
    """The channels as configured: email by the chosen provider; texts and letters by Notify
    where it has their template (else the mailbox, when email goes there too, else nothing).
    ConfigurationError (one line) for a configuration that would lose messages."""
    via = chosen_provider(settings)
    if via == "mailbox" and settings.env == "production":
        raise ConfigurationError(
            "PORTION_NOTIFICATIONS_VIA=mailbox keeps messages on this machine: it is for "
            "development only; use smtp or notify"
        )
    templates = {
        "email": settings.notify_email_template_id,
        "sms": settings.notify_sms_template_id,
        "letter": settings.notify_letter_template_id,
    }
    if via == "notify" and not (settings.notify_api_key and templates["email"]):
        raise ConfigurationError(
            "PORTION_NOTIFICATIONS_VIA=notify needs PORTION_NOTIFY_API_KEY and "
            "PORTION_NOTIFY_EMAIL_TEMPLATE_ID"
        )
    notify = None
    if settings.notify_api_key is not None and settings.notifications_via != "mailbox":
        # Imported here: its HTTP client (requests, urllib3) costs start-up a tenth of a second.
        from app.notifications.notify import NotifyChannel

        notify = NotifyChannel(
            api_key=settings.notify_api_key.get_secret_value(),
            template_ids={c: t for c, t in templates.items() if t},
            base_url=settings.notify_base_url,
            timeout_s=settings.notify_timeout_s,
        )
    mailbox = MailboxChannel(settings.mailbox_dir) if via == "mailbox" else None
    channels: dict[str, Channel] = {}
    if via == "smtp":
        channels["email"] = MailChannel(SmtpMailer.from_settings(settings), settings.mail_from)
    for channel, template_id in templates.items():
        if channel in channels:
            continue
        if notify is not None and template_id and (channel != "email" or via == "notify"):
            channels[channel] = notify
        elif mailbox is not None:
            channels[channel] = mailbox
    return Delivery(via, channels)


def describe_delivery(settings: Settings, *, base_url: str | None = None) -> str:
    """Where notifications go, in one line for whoever starts the service (`base_url`: where
    this server answers, if not at PORTION_PUBLIC_URL)."""
    try:
        delivery = delivery_from_settings(settings)
    except ConfigurationError as exc:
        return f"Notifications: not sent ({exc})"
    worker = (
        ""
        if settings.sends_notifications_in_process
        else "; sent by `portion send-notifications --loop`, not by the web process"
    )
    names = {
        "smtp": f"SMTP {settings.smtp_host}:{settings.smtp_port}",
        "notify": "GOV.UK Notify",
        "mailbox": LOCAL_MAILBOX,
    }
    routes = ", ".join(
        f"{c} by {names[route.provider]}"
        for c in CHANNELS
        if (route := delivery.channels.get(c)) is not None and route.provider != "mailbox"
    )
    if delivery.via == "mailbox":
        others = f"; {routes}" if routes else ""
        page = f"{(base_url or settings.public_url).rstrip('/')}/dev/mail"
        return (
            f"Notifications go to the {LOCAL_MAILBOX} in {settings.mailbox_dir}/ "
            f"(nothing leaves this machine): read them at {page} or with `portion mail`"
            f"{others}{worker}"
        )
    routes = ", ".join(
        f"{c} by {names[delivery.channels[c].provider]}" for c in CHANNELS if c in delivery.channels
    )
    return f"Notifications: {routes}{worker}"
