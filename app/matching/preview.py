"""Batch matching in two steps: a preview that writes nothing, then the staff's confirmation.

``POST /api/staff/matching/preview`` runs the batch's own planning (``service.plan_batch``)
without writing or locking, and answers every proposed pairing with its reasons and every
unmatched diner with theirs. Its ``preview_id`` is a token signed with the secret key (HS256,
as sign-in tokens are; nothing is stored) that carries the council, the staff member, the
proposed pairs with their slots, and a fingerprint of the data the preview was made from:

- the council's date (the first meals' dates and the cooks' absences depend on it);
- each approved cook's row version (a cook who changed, was approved or left changes it);
- the waiting diners with no open pairing, with what matching reads of them (a diner who
  registered, left, was proposed, moved, or whose needs or times changed) and their other foods
  (beyond the 14, in the carer's words: matching cannot check them, but staff review the pairs
  against them, and the invitation names them);
- the council's open (proposed, active, paused) pairings and their statuses;
- the absences of the council's cooks still to come, and the pairs excluded for its diners.

``POST /api/staff/matching/confirm`` recomputes that fingerprint (the cooks locked, as a batch
locks them): if anything in it changed the preview is stale (409, preview again). Otherwise
each pair kept is proposed exactly as ``POST /api/staff/pairings`` would propose it
(``service.propose_pairing``: every hard rule, capacity and the cook's absences checked again
against the rows as they are now); a pair that fails is refused with the rule's name (the
data changed between the fingerprint and the lock, or a rule of the day). The confirmation is
audited with what it did (``outcome.record_outcome``), which the staff pages show again by GET.

API.md: "a preview older than the data it was made from answers 409". A diner's own change or a
cook's new absence used to refuse only the pair it touched (200, an outside check): the rest of
the preview may no longer be the best, so the whole is stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import jwt
from sqlmodel import Session, col, select

from app.councils.rules import council_today
from app.councils.service import staff_council
from app.errors import AppError, Conflict, NotFound, RuleBroken
from app.geo.distance import staff_distance_m
from app.matching import engine, service
from app.matching.engine.reasons import suggestion_reasons
from app.matching.inputs import DinerRow, lock_cooks, waiting_diner_rows
from app.matching.outcome import record_outcome
from app.matching.schemas import (
    ConfirmIn,
    ConfirmOut,
    PreviewOut,
    PreviewPairOut,
    RefusedOut,
    UnmatchedOut,
)
from app.models import (
    OPEN_STATUSES,
    Cook,
    CookAway,
    Council,
    Diner,
    PairExclusion,
    Pairing,
    User,
)
from app.names import first_name
from app.pairings.presenters import pairing_out
from app.pairings.schemas import PairingCreate
from app.schemas import hhmm
from app.vocab import Frequency

ALGORITHM = "HS256"
TOKEN_TYPE = "matching_preview"
NOT_FOUND = "Preview not found"
STALE = (
    "The preview is out of date: cooks, waiting diners, their needs or pairings have changed "
    "since it was made. Preview again."
)


@dataclass(frozen=True, slots=True)
class PreviewClaims:
    """What a preview id says: whose preview, which pairs (with their slots), made from what."""

    council_id: int
    staff_id: int
    pairs: dict[tuple[int, int], tuple[int, str, Frequency]]  # (diner, cook) -> slot
    fingerprint: str


def fingerprint(
    *,
    today: date,
    cook_versions: Mapping[int, str],
    diners: Iterable[DinerRow],
    other_foods: Mapping[int, str],
    open_pairings: list[tuple[int, str]],
    absences: list[tuple[int, str, str]],
    exclusions: list[tuple[int, int]],
) -> str:
    """A digest of the data a batch is made from (pure: the same data, the same text)."""
    data = {
        "today": today.isoformat(),
        "cooks": sorted(cook_versions.items()),
        "diners": sorted(_needs(d, other_foods.get(d.id)) for d in diners),
        "pairings": sorted(open_pairings),
        "away": sorted(absences),
        "excluded": sorted(exclusions),
    }
    return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


def _needs(diner: DinerRow, other_foods: str | None) -> list[object]:
    """What matching reads of a waiting diner, and their other foods, as plain JSON."""
    return [
        diner.id,
        diner.latitude,
        diner.longitude,
        sorted(diner.diets),
        sorted(diner.allergies),
        str(diner.texture),
        diner.availability,
        str(diner.frequency),
        other_foods,
    ]


def _absences(session: Session, *, council: Council, today: date) -> list[tuple[int, str, str]]:
    rows = session.exec(
        select(col(CookAway.cook_id), col(CookAway.from_date), col(CookAway.to_date))
        .join(Cook, col(Cook.id) == col(CookAway.cook_id))
        .where(Cook.council_id == council.id, col(CookAway.to_date) >= today)
    ).all()
    return [(cook_id, start.isoformat(), end.isoformat()) for cook_id, start, end in rows]


def _exclusions(session: Session, *, council: Council) -> list[tuple[int, int]]:
    rows = session.exec(
        select(PairExclusion.diner_id, PairExclusion.cook_id)
        .join(Diner, col(Diner.id) == col(PairExclusion.diner_id))
        .where(Diner.council_id == council.id)
    ).all()
    return [(diner_id, cook_id) for diner_id, cook_id in rows]


def _open_pairings(session: Session, *, council: Council) -> list[tuple[int, str]]:
    rows = session.exec(
        select(Pairing.id, Pairing.status).where(
            Pairing.council_id == council.id, col(Pairing.status).in_(OPEN_STATUSES)
        )
    ).all()
    return [(pairing_id or 0, str(status)) for pairing_id, status in rows]


def _current_fingerprint(session: Session, *, council: Council) -> str:
    """The fingerprint of the data now; the cooks locked until commit (as a batch locks them)."""
    today = council_today(council)
    versions = lock_cooks(session, council=council)
    diners = waiting_diner_rows(session, council=council, today=today)
    return fingerprint(
        today=today,
        cook_versions=versions,
        diners=diners,
        other_foods=service.waiting_other_allergies(session, council_ids={council.id or 0}),
        open_pairings=_open_pairings(session, council=council),
        absences=_absences(session, council=council, today=today),
        exclusions=_exclusions(session, council=council),
    )


def issue_preview_id(claims: PreviewClaims, *, secret: str) -> str:
    payload = {
        "typ": TOKEN_TYPE,
        "c": claims.council_id,
        "s": claims.staff_id,
        "p": [[d, c, w, start, f] for (d, c), (w, start, f) in claims.pairs.items()],
        "f": claims.fingerprint,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read_preview_id(token: str, *, secret: str) -> PreviewClaims | None:
    """The claims of a preview id signed with ``secret``, else None."""
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM])
        if payload.get("typ") != TOKEN_TYPE:
            return None
        return PreviewClaims(
            council_id=int(payload["c"]),
            staff_id=int(payload["s"]),
            pairs={
                (int(d), int(c)): (int(w), str(start), Frequency(f))
                for d, c, w, start, f in payload["p"]
            },
            fingerprint=str(payload["f"]),
        )
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


def preview_matching(session: Session, *, staff: User, secret: str) -> PreviewOut:
    """The batch ``matching/run`` would propose now, with reasons; nothing written."""
    plan = service.plan_batch(session, staff=staff, lock=False)
    assert plan.council.id is not None and staff.id is not None
    proposed = []
    pairs: dict[tuple[int, int], tuple[int, str, Frequency]] = {}
    for a in plan.result.assignments:
        cook, diner = plan.cook_inputs[a.cook_id], plan.diner_inputs[a.diner_id]
        row = plan.diners[a.diner_id]
        slots = engine.shared_windows(cook, diner)
        start = hhmm(a.start)
        pairs[(a.diner_id, a.cook_id)] = (a.weekday, start, row.frequency)
        proposed.append(
            PreviewPairOut(
                diner_id=a.diner_id,
                cook_id=a.cook_id,
                weekday=a.weekday,
                start=start,
                frequency=row.frequency,
                reasons=suggestion_reasons(
                    cook, diner, a.distance_m, a.cook_id in diner.met, slots
                ),
                diner_first_name=first_name(row.full_name),
                cook_display_name=plan.cooks[a.cook_id].display_name,
                distance_m=staff_distance_m(a.distance_m),
            )
        )
    claims = PreviewClaims(
        council_id=plan.council.id,
        staff_id=staff.id,
        pairs=pairs,
        fingerprint=fingerprint(
            today=plan.today,
            cook_versions=plan.cook_versions,
            diners=plan.diners.values(),
            other_foods=service.waiting_other_allergies(session, council_ids={plan.council.id}),
            open_pairings=_open_pairings(session, council=plan.council),
            absences=_absences(session, council=plan.council, today=plan.today),
            exclusions=_exclusions(session, council=plan.council),
        ),
    )
    return PreviewOut(
        preview_id=issue_preview_id(claims, secret=secret),
        proposed=proposed,
        unmatched=[
            UnmatchedOut(diner_id=d, first_name=first_name(plan.diners[d].full_name), reason=r)
            for d, r in plan.result.unmatched
        ],
    )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmation's answer, and the id its outcome is kept under (``outcome.read_outcome``)."""

    out: ConfirmOut
    outcome_id: int


def confirm_matching(session: Session, *, staff: User, secret: str, body: ConfirmIn) -> ConfirmOut:
    """Propose the pairs kept from a preview, each checked again as a single proposal is."""
    return confirm_preview(session, staff=staff, secret=secret, body=body).out


def confirm_preview(session: Session, *, staff: User, secret: str, body: ConfirmIn) -> Confirmation:
    """``confirm_matching``, with the id of its outcome, audited for the result page."""
    council = staff_council(session, staff)
    claims = read_preview_id(body.preview_id, secret=secret)
    if claims is None or claims.council_id != council.id or claims.staff_id != staff.id:
        raise NotFound(NOT_FOUND)
    for k, pair in enumerate(body.pairs):
        if (pair.diner_id, pair.cook_id) not in claims.pairs:
            raise RuleBroken(
                "not_in_preview",
                ["pairs", k],
                f"Diner {pair.diner_id} and cook {pair.cook_id} are not a pair of this preview",
            )
    if _current_fingerprint(session, council=council) != claims.fingerprint:
        raise Conflict(STALE)
    proposed, refused = [], []
    for pair in body.pairs:
        weekday, start, frequency = claims.pairs[(pair.diner_id, pair.cook_id)]
        create = PairingCreate(
            diner_id=pair.diner_id,
            cook_id=pair.cook_id,
            weekday=weekday,
            start=start,
            frequency=frequency,
        )
        try:
            # A savepoint each: a pair refused halfway leaves nothing behind in the request's
            # unit of work, which commits the pairs that were proposed.
            with session.begin_nested():
                pairing = service.propose_pairing(session, staff=staff, body=create)
        except RuleBroken as broken:
            refused.append(_refused(pair.diner_id, pair.cook_id, broken.rule, broken.message))
            continue
        except AppError as error:  # a conflict (capacity, an open pairing) or gone (404)
            code = "not_found" if isinstance(error, NotFound) else "conflict"
            refused.append(_refused(pair.diner_id, pair.cook_id, code, error.message))
            continue
        proposed.append(pairing)
    out = []
    for pairing in proposed:
        diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
        assert diner is not None and cook is not None
        out.append(pairing_out(pairing, diner=diner, cook=cook, viewer_role="staff"))
    kept = {(pair.diner_id, pair.cook_id) for pair in body.pairs}
    outcome_id = record_outcome(
        session,
        staff=staff,
        council=council,
        pairing_ids=[p.id for p in proposed if p.id is not None],
        refused=[(r.diner_id, r.cook_id, r.reason) for r in refused],
        unticked=sorted(set(claims.pairs) - kept),
    )
    return Confirmation(ConfirmOut(proposed=out, refused=refused), outcome_id)


def _refused(diner_id: int, cook_id: int, reason: str, message: str) -> RefusedOut:
    return RefusedOut(diner_id=diner_id, cook_id=cook_id, reason=reason, message=message)
