"""The matching engine: who may cook for whom, and who should (pure, deterministic).

Plain data in, plain data out: nothing here touches the database, the web layer or the clock.
Vocabularies are the API's snake_case codes. Ties are broken by id, and results do not depend on
the order in which cooks or diners are passed.

Hard rules (PRODUCT.md, "Matching rules"); a pair that breaks one is never proposed:

- the cook is matchable (approved, checks in date, not suspended) and has spare capacity;
- the haversine distance between the homes is within ``min(cook.radius_m, max_radius_m)``;
- one of the cook's weekly windows overlaps one of the diner's by ``MIN_OVERLAP_MIN`` minutes or
  more on the same weekday, and the cook offers the diner's frequency;
- the cook cooks every diet the diner needs, in the diner's texture, free from every allergen the
  diner is allergic to;
- the cook is not excluded for the diner.

Preferences are integer costs ("metre equivalents", lower is better), for the solver:

- ``round(distance in metres)``: shorter is better;
- ``OVERLAP_COST_PER_MIN`` for every minute the best shared window falls short of
  ``OVERLAP_TARGET_MIN``: a 30-minute overlap costs 180, two hours or more cost 0;
- ``NOT_MET_COST`` when the diner has never met the cook: continuity first. It outweighs any
  distance difference within any walking radius (and the overlap term) many times over, so a cook
  the diner has met always ranks above a stranger unless that cook already carries hundreds more
  diners (the load term below);
- ``LOAD_STEP_COST`` for every diner the cook already has: ``load`` (proposed and active pairings)
  plus, in a batch, the diners given to the cook earlier in the same batch. The k-th extra diner
  of a cook costs ``LOAD_STEP_COST * (load + k - 1)``, so the cost is convex and two equally good
  cooks get one diner each rather than one of them getting two.

``suggest`` ranks one diner's candidates by that cost (with the cook's current load; ties by
cook id) and gives each a ``score`` = (1 if met before else 0) + ``SCORE_SCALE`` /
(``SCORE_SCALE`` + the other costs), in (0, 2], higher is better and in the same order
(while the other costs stay under ``NOT_MET_COST``, that is always in practice).
``batch_match`` finds an optimal assignment for many diners at once with a min-cost flow (not
greedy): first the largest number of diners matched, then the least total cost.

Speed: cooks sit in a ``CookIndex`` (k-d trees on the sphere plus bitmask columns); a batch
finds pairs for thousands of diners per tree query, applies every rule to all of them with
numpy, and solves each connected part of the candidate graph on its own. The benchmark
(``bench/matching_engine.py``) runs 200,000 cooks and 100,000 diners in a few seconds.
"""

from app.matching.engine.batch import (
    CandidateGraph,
    batch_candidates,
    batch_match,
    prune,
    solve_batch,
)
from app.matching.engine.index import CookIndex, Ranking, rank, suggest
from app.matching.engine.rules import (
    LOAD_STEP_COST,
    MIN_OVERLAP_MIN,
    NOT_MET_COST,
    OVERLAP_COST_PER_MIN,
    OVERLAP_TARGET_MIN,
    SAFETY_RULES,
    UNMATCHED_REASONS,
    Assignment,
    BatchResult,
    CookInput,
    DinerInput,
    Suggestion,
    Suggestions,
    Violation,
    Window,
    best_slot,
    check_pair,
    check_slot,
    pair_cost,
    safety_gaps,
    shared_windows,
    unmatched_reason,
)

__all__ = [
    "LOAD_STEP_COST",
    "MIN_OVERLAP_MIN",
    "NOT_MET_COST",
    "OVERLAP_COST_PER_MIN",
    "OVERLAP_TARGET_MIN",
    "SAFETY_RULES",
    "UNMATCHED_REASONS",
    "Assignment",
    "BatchResult",
    "CandidateGraph",
    "CookIndex",
    "CookInput",
    "DinerInput",
    "Ranking",
    "Suggestion",
    "Suggestions",
    "Violation",
    "Window",
    "batch_candidates",
    "batch_match",
    "best_slot",
    "check_pair",
    "check_slot",
    "pair_cost",
    "prune",
    "rank",
    "safety_gaps",
    "shared_windows",
    "solve_batch",
    "suggest",
    "unmatched_reason",
]
