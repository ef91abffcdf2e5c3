"""compose.yaml's web service behind the TLS proxy README.md asks for: the proxy reaches the
published port from the container network's gateway, which uvicorn did not trust, so every
person shared one client address (five wrong passwords locked an account out for everyone)
and no cookie was Secure (an outside check)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"


def web_setting(name: str) -> str:
    """The web service's `name` as compose gives it with nothing set in .env."""
    web = yaml.safe_load(COMPOSE.read_text())["services"]["web"]
    value = str(web["environment"][name])
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


async def seen_by_the_app(trusted: str, peer: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(client=scope["client"][0], scheme=scope["scheme"])

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 40000),
        "headers": [(b"x-forwarded-for", b"198.51.100.7"), (b"x-forwarded-proto", b"https")],
    }
    await ProxyHeadersMiddleware(app, trusted_hosts=trusted)(scope, None, None)  # type: ignore[arg-type]
    return seen


@pytest.mark.anyio
@pytest.mark.parametrize("gateway", ["172.18.0.1", "10.89.0.1", "127.0.0.1"])
async def test_the_web_service_trusts_its_proxy_on_this_host(gateway: str) -> None:
    """docker's bridge gateway, podman's, or the host itself."""
    seen = await seen_by_the_app(web_setting("PORTION_FORWARDED_ALLOW_IPS"), gateway)
    assert seen == {"client": "198.51.100.7", "scheme": "https"}


@pytest.mark.anyio
async def test_a_peer_outside_the_host_is_not_trusted() -> None:
    seen = await seen_by_the_app(web_setting("PORTION_FORWARDED_ALLOW_IPS"), "203.0.113.5")
    assert seen == {"client": "203.0.113.5", "scheme": "http"}


def test_only_the_web_service_keeps_the_images_health_check_when_composed() -> None:
    # The image's HEALTHCHECK asks the web server on port 8000: the worker's and the jobs'
    # containers, which run none, always read "unhealthy" (an outside check).
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert "HEALTHCHECK" in (COMPOSE.parent / "Dockerfile").read_text()
    assert "healthcheck" not in services["web"]
    for name in ("worker", "jobs"):
        assert services[name]["healthcheck"] == {"disable": True}, name
