"""Prometheus metrics: requests by route template, the outbox, meals needing cover, the batch.

- Requests: ``portion_http_requests_total`` and ``portion_http_request_duration_seconds`` by
  method, route template (``/api/diners/{diner_id}``, never the raw path; ``static`` for the
  frontend and unmatched paths) and status class (``2xx``), fed by the request middleware's
  observer ``observe_request``. Scrapes of /metrics itself are left out.
- The batch: ``portion_matching_batch_duration_seconds``, observed by ``timed_batch``.
- The database slots (app/db_slots.py), told by ``observe_slot_wait``:
  ``portion_database_slot_wait_seconds{kind}`` (read, write, and hash for the turns to hash a
  password, app/accounts/hash_turns.py: how long requests waited for one,
  0 when one was free) and ``portion_database_slot_refusals_total{kind}`` (none freed up
  within the whole wait: answered 503, or for a turn to hash, 503 only if it came to hash).
- Read from the database when scraped (``DatabaseCollector``, two grouped counts):
  ``portion_outbox_messages{status}`` (queued, sent, failed) and
  ``portion_meals_needing_cover{council}`` (today and the next 6 days).

Several workers: with ``Settings.metrics_dir`` set (``portion serve --workers N`` sets one up)
prometheus_client keeps each process's counts in files there and a scrape adds them up
(its multiprocess mode), whichever worker answers.

prometheus_client is imported on first use: it costs a noticeable share of start-up, and
``import app.main`` stays without it.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from app.config import Settings, get_settings
from app.db import utcnow
from app.middleware import RequestRecord
from app.models import Council, Meal, Notification
from app.vocab import MealStatus

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram
    from prometheus_client.metrics_core import Metric

METRICS_PATH = "/metrics"
# Anything else a client sends as a method is counted as "other": labels stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A slot is mostly free at once; under load a request waits a few answers' time; 10 s is refused.
SLOT_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A council's batch takes well under a second; a national one, a minute or more.
BATCH_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
COVER_DAYS = 7
# The outbox's "pending" is what an operator calls queued (waiting to be sent or retried).
# "withdrawn": taken back before it went (app/notifications/outbox.py, take_back).
OUTBOX_STATUSES = {
    "pending": "queued",
    "sent": "sent",
    "failed": "failed",
    "withdrawn": "withdrawn",
}
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Instruments:
    requests: Counter
    latency: Histogram
    batch: Histogram
    slot_wait: Histogram
    slot_refusals: Counter


_lock = threading.Lock()
_instruments: Instruments | None = None


def instruments() -> Instruments:
    """This process's counters and histograms, created (and prometheus_client imported) once."""
    global _instruments
    if _instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = _create(get_settings())
    return _instruments


def _create(settings: Settings) -> Instruments:
    if settings.metrics_dir is not None:
        # Read by prometheus_client when imported: each process then writes its values to
        # files in this folder, named by its pid.
        settings.metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault(MULTIPROC_ENV, str(settings.metrics_dir))
    from prometheus_client import Counter, Histogram, disable_created_metrics

    # The *_created series: not kept across workers, and nothing here reads them.
    disable_created_metrics()
    # Not registered in prometheus_client's global registry: a scrape builds its own.
    labels = ("method", "route", "status")
    return Instruments(
        requests=Counter(
            "portion_http_requests",
            "HTTP requests answered, by method, route template and status class",
            labels,
            registry=None,
        ),
        latency=Histogram(
            "portion_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=None,
        ),
        batch=Histogram(
            "portion_matching_batch_duration_seconds",
            "Time a council's batch matching takes, proposals committed "
            "(POST /api/staff/matching/run)",
            buckets=BATCH_BUCKETS,
            registry=None,
        ),
        slot_wait=Histogram(
            "portion_database_slot_wait_seconds",
            "Time a request waited for a database slot, by kind (read, write; hash: a turn to "
            "hash a password)",
            ("kind",),
            buckets=SLOT_WAIT_BUCKETS,
            registry=None,
        ),
        slot_refusals=Counter(
            "portion_database_slot_refusals",
            "Requests answered 503 because no database slot freed up in time, by kind",
            ("kind",),
            registry=None,
        ),
    )


def observe_request(record: RequestRecord) -> None:
    """The request middleware's observer: one count and one latency per request."""
    if record.route == METRICS_PATH:
        return
    method = record.method if record.method in METHODS else "other"
    labels = (method, record.route, f"{record.status // 100}xx")
    series = _series.get(labels)
    if series is None:  # prometheus_client's labels() checks and locks on every call
        found = instruments()
        series = _series.setdefault(
            labels, (found.requests.labels(*labels), found.latency.labels(*labels))
        )
    count, latency = series
    count.inc()
    latency.observe(record.duration_s)


# A request's count and latency series by their labels (method, route template, status class):
# a few hundred at most, since routes are templates and methods and statuses are grouped.
_series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}


def observe_slot_wait(kind: str, waited_s: float, refused: bool) -> None:
    """The database slots' observer (app/db_slots.py `watch_slots`): every wait, and each
    request refused after it."""
    series = _slot_series.get(kind)
    if series is None:  # as for the requests: labels() checks and locks on every call
        found = instruments()
        series = _slot_series.setdefault(
            kind, (found.slot_wait.labels(kind), found.slot_refusals.labels(kind))
        )
    wait, refusals = series
    if refused:
        refusals.inc()
    wait.observe(waited_s)


_slot_series: dict[str, tuple[Histogram, Counter]] = {}


def timed_batch(run: Callable[P, T]) -> Callable[P, T]:
    """Decorates the batch: each run that completes is observed in the batch histogram."""

    @functools.wraps(run)
    def timed(*args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        result = run(*args, **kwargs)
        instruments().batch.observe(time.perf_counter() - started)
        return result

    return timed


class DatabaseCollector:
    """The outbox's counts and the meals needing cover, read when scraped (two queries)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        outbox = GaugeMetricFamily(
            "portion_outbox_messages",
            "Notifications in the outbox by status (queued: waiting to be sent or retried)",
            labels=["status"],
        )
        for status, count in sorted(outbox_counts(self.session).items()):
            outbox.add_metric([status], count)
        yield outbox
        cover = GaugeMetricFamily(
            "portion_meals_needing_cover",
            f"Meals from today to {COVER_DAYS - 1} days ahead still needing a cover cook, "
            "by council",
            labels=["council"],
        )
        for council, count in sorted(meals_needing_cover(self.session).items()):
            cover.add_metric([council], count)
        yield cover


def outbox_counts(session: Session) -> dict[str, int]:
    """Messages by status, the three usual ones always present (0 when none)."""
    rows = session.exec(
        select(Notification.status, func.count()).group_by(col(Notification.status))
    ).all()
    counts = dict.fromkeys(OUTBOX_STATUSES.values(), 0)
    for status, count in rows:
        name = OUTBOX_STATUSES.get(status, status)
        counts[name] = counts.get(name, 0) + count
    return counts


def meals_needing_cover(session: Session) -> dict[str, int]:
    """By council slug (every council, 0 when none): meals still needing cover, today (UTC)
    and the next COVER_DAYS - 1 days."""
    today = utcnow().date()
    rows = session.exec(
        select(Council.slug, func.count(col(Meal.id)))
        .outerjoin(
            Meal,
            and_(
                col(Meal.council_id) == Council.id,
                col(Meal.status) == MealStatus.needs_cover,
                col(Meal.date) >= today,
                col(Meal.date) < today + timedelta(days=COVER_DAYS),
            ),
        )
        .group_by(col(Council.slug))
    ).all()
    return dict(rows)


def exposition(session: Session, *, settings: Settings, accept: str | None) -> tuple[bytes, str]:
    """The scrape's text and content type: this process's metrics, or every worker's from the
    shared folder, then the database's."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import choose_encoder
    from prometheus_client.multiprocess import MultiProcessCollector

    found = instruments()
    registry = CollectorRegistry(auto_describe=False)
    if settings.metrics_dir is not None:
        MultiProcessCollector(registry, path=str(settings.metrics_dir))
    else:
        for instrument in fields(found):  # every one: a new one is not forgotten
            registry.register(getattr(found, instrument.name))
    registry.register(DatabaseCollector(session))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
