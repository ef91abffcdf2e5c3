"""A batch: every allowed (diner, cook) edge, then an optimal assignment by min-cost flow
(OR-Tools), each connected part of the candidate graph solved on its own (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from app.lazy_import import LazyModule
from app.matching.engine.index import DAY_STRIDE, Assessed, CookIndex, DinerTable, assess
from app.matching.engine.rules import (
    LOAD_STEP_COST,
    NOT_MET_COST,
    UNMATCHED_REASONS,
    Assignment,
    BatchResult,
    CookInput,
    DinerInput,
)
from app.matching.spatial import PointIndex, spatial_order
from app.vocab import UnmatchedReason

_BUNDLE_ARCS = 4_000  # connected components are solved in bundles of about this many edges
_DINER_CHUNK = 4_096  # diners per spatial query in a batch at most ...
# ... and pairs in reach per query at most: a block's pairs and the rules' work arrays take about
# 130 bytes each at their peak. A dense city's diners each have thousands of cooks in reach: one
# block of 2,358 diners held 4 million pairs, 530 MiB, in a staff member's preview.
_BLOCK_PAIRS = 500_000

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
    FloatArray = npt.NDArray[np.float64]
else:
    np = LazyModule("numpy", globals(), "np")  # imported on first use: not at start-up


# --- batch ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CandidateGraph:
    """Every allowed (diner, cook) edge of a batch, with its cost; input to ``solve_batch``.

    Rows index ``diner_ids`` (ascending ids) and the index's cooks. Edges are sorted by diner
    id, then cost, then cook id.
    """

    index: CookIndex
    diner_ids: IntArray
    level: IntArray  # per diner: number of checks passed (len(UNMATCHED_REASONS): has candidates)
    diner: IntArray
    cook: IntArray
    distance: FloatArray
    cost: IntArray
    start: IntArray  # week-minute of each edge's slot

    @property
    def edges(self) -> int:
        return len(self.cook)

    def cooks_of(self, diner_ids: set[int]) -> set[int]:
        """The ids of every candidate cook of these diners."""
        rows = np.flatnonzero(np.isin(self.diner_ids, sorted(diner_ids)))
        return set(self.index.ids[self.cook[np.isin(self.diner, rows)]].tolist())


def batch_candidates(
    diners: Sequence[DinerInput],
    index: CookIndex,
    *,
    max_radius_m: float,
    prune_k: int | None = None,
) -> CandidateGraph:
    """All candidate edges of a batch, found in chunks of diners through the k-d tree."""
    ordered = sorted(diners, key=attrgetter("id"))
    if len({d.id for d in ordered}) != len(ordered):
        raise ValueError("diner ids must be unique")
    table = DinerTable.build(ordered, index)
    n = len(ordered)
    level = np.zeros(n, dtype=np.int64)
    parts: list[Assessed] = []
    groups = index.reach_groups(max_radius_m)
    walk = spatial_order(table.lat, table.lon)  # nearby diners share a block: faster queries
    for first in range(0, n, _DINER_CHUNK):
        for rows in _blocks(walk[first : first + _DINER_CHUNK], table, groups):
            parts.append(_assess_block(index, table, rows, groups, float(max_radius_m)))
            level[rows] = parts[-1].level

    def joined(name: str, dtype: type) -> npt.NDArray[Any]:
        arrays = [getattr(p, name) for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    drow, crow, cost = joined("diner", np.int64), joined("cook", np.int64), joined("cost", np.int64)
    order = np.lexsort((index.ids[crow], cost, drow))
    graph = CandidateGraph(
        index=index,
        diner_ids=table.ids,
        level=level,
        diner=drow[order],
        cook=crow[order],
        distance=joined("distance", np.float64)[order],
        cost=cost[order],
        start=joined("start", np.int64)[order],
    )
    return graph if prune_k is None else prune(graph, prune_k)


def _blocks(
    rows: IntArray, table: DinerTable, groups: list[tuple[PointIndex, IntArray, float]]
) -> Iterator[IntArray]:
    """``rows`` (a stretch of the spatial walk) in blocks whose pairs in reach, counted by the
    trees without making them, fit ``_BLOCK_PAIRS`` (a lone diner always fits). Sparse
    stretches (the nation's) pay only one count; dense ones are cut diner by diner."""
    lat, lon = table.lat[rows], table.lon[rows]
    if sum(t.count_pairs(lat, lon, r) for t, _, r in groups) <= _BLOCK_PAIRS:
        yield rows
        return
    per_diner = sum((t.counts(lat, lon, r) for t, _, r in groups), np.zeros(len(rows), np.intp))
    first, total = 0, 0
    for i, pairs in enumerate(per_diner.tolist()):
        if total + pairs > _BLOCK_PAIRS and i > first:
            yield rows[first:i]
            first, total = i, 0
        total += pairs
    yield rows[first:]


def _assess_block(
    index: CookIndex,
    table: DinerTable,
    rows: IntArray,
    groups: list[tuple[PointIndex, IntArray, float]],
    max_radius_m: float,
) -> Assessed:
    """The hard rules over every pair in reach of one block of diners."""
    found = [
        (local, members[j], approx)
        for tree, members, radius in groups
        for local, j, approx in [tree.pairs(table.lat[rows], table.lon[rows], radius)]
    ]
    local, crow, approx = (np.concatenate([np.zeros(0), *(f[k] for f in found)]) for k in range(3))
    return assess(
        index,
        table,
        rows,
        local.astype(np.int64),
        crow.astype(np.int64),
        approx,
        max_radius_m,
        exact=False,
    )


def prune(graph: CandidateGraph, k: int) -> CandidateGraph:
    """The graph with only each diner's ``k`` cheapest edges (ties: lower cook id)."""
    if k < 1:
        raise ValueError("prune_k must be at least 1")
    nth = np.arange(graph.edges) - np.searchsorted(graph.diner, graph.diner, side="left")
    keep = nth < k
    return CandidateGraph(
        index=graph.index,
        diner_ids=graph.diner_ids,
        level=graph.level,
        diner=graph.diner[keep],
        cook=graph.cook[keep],
        distance=graph.distance[keep],
        cost=graph.cost[keep],
        start=graph.start[keep],
    )


def _bundles(graph: CandidateGraph) -> list[IntArray]:
    """Edge indices grouped into bundles of whole connected components (about
    ``_BUNDLE_ARCS`` edges each, in a deterministic order).

    Diners and cooks in different components cannot affect one another, so solving each bundle
    on its own is exactly as optimal as solving the whole graph, and much faster: the flow
    solver's work grows faster than linearly with the size of the network.
    """
    # Imported here, by the batch only: scipy.sparse and OR-Tools take a second at start-up.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    d_of_edge = np.unique(graph.diner, return_inverse=True)[1]
    c_nodes, c_of_edge = np.unique(graph.cook, return_inverse=True)
    n_d = int(d_of_edge.max()) + 1
    nodes = n_d + len(c_nodes)
    adjacency = coo_matrix(
        (np.ones(graph.edges, dtype=np.int8), (d_of_edge, n_d + c_of_edge)), shape=(nodes, nodes)
    )
    n_comp, label = connected_components(adjacency, directed=False)
    component = label[d_of_edge]
    sizes = np.bincount(component, minlength=n_comp)
    bundle_of_component = (np.cumsum(sizes) - sizes) // _BUNDLE_ARCS
    bundle = bundle_of_component[component]
    order = np.argsort(bundle, kind="stable")
    cuts = np.flatnonzero(np.diff(bundle[order])) + 1
    return np.split(order, cuts)


def _solve_bundle(graph: CandidateGraph, edges: IntArray) -> tuple[BoolArray, int]:
    """Min-cost max-flow on some whole components; which of ``edges`` carry flow, and the cost.

    Edge costs enter the solver lowered by ``NOT_MET_COST`` (the same for every edge, so the
    optimum is unchanged: every maximum flow matches the same number of diners); the smaller
    cost range makes OR-Tools' cost scaling markedly faster.
    """
    from ortools.graph.python import min_cost_flow  # the batch only (see _bundles)

    index = graph.index
    d_nodes, d_of_edge = np.unique(graph.diner[edges], return_inverse=True)
    c_nodes, c_of_edge = np.unique(index.rank[graph.cook[edges]], return_inverse=True)
    cook_rows = np.argsort(index.rank)[c_nodes]
    n_d, n_c = len(d_nodes), len(c_nodes)
    source, sink = 0, 1 + n_d + n_c
    degree = np.bincount(c_of_edge, minlength=n_c)
    arcs_per_cook = np.minimum(index.spare[cook_rows], degree)
    cook_of_arc = np.repeat(np.arange(n_c), arcs_per_cook)
    step = np.arange(len(cook_of_arc)) - (np.cumsum(arcs_per_cook) - arcs_per_cook)[cook_of_arc]
    tails = np.concatenate((np.full(n_d, source), 1 + d_of_edge, 1 + n_d + cook_of_arc))
    heads = np.concatenate((1 + np.arange(n_d), 1 + n_d + c_of_edge, np.full(len(step), sink)))
    costs = np.concatenate(
        (
            np.zeros(n_d, dtype=np.int64),
            graph.cost[edges] - NOT_MET_COST,
            LOAD_STEP_COST * (index.load[cook_rows][cook_of_arc] + step),
        )
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(len(tails), dtype=np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([n_d, -n_d], dtype=np.int64)
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = np.asarray(flow.flows(np.asarray(arcs[n_d : n_d + len(edges)], dtype=np.int32))) > 0
    return used, int(flow.optimal_cost()) + NOT_MET_COST * int(flow.maximum_flow())


def solve_batch(graph: CandidateGraph) -> BatchResult:
    """An optimal assignment: most diners matched, then least total cost (min-cost flow).

    Network: source -> each diner (capacity 1) -> each candidate cook (capacity 1, the pair
    cost) -> sink through ``min(spare, candidates)`` parallel unit arcs per cook, the j-th
    costing ``LOAD_STEP_COST * (load + j)``; convex, so the cheap arcs fill first. OR-Tools'
    ``solve_max_flow_with_min_cost`` returns the maximum flow of least cost. Independent parts
    of the graph (connected components) are solved separately, in bundles.
    """
    index = graph.index
    matched_edge = np.zeros(graph.edges, dtype=np.bool_)
    objective = 0
    if graph.edges:
        for edges in _bundles(graph):
            used, cost = _solve_bundle(graph, edges)
            matched_edge[edges[used]] = True
            objective += cost

    picked = np.flatnonzero(matched_edge)
    p_diner, p_cook = graph.diner[picked], graph.cook[picked]
    # Load cost attribution: a cook's new diners, by diner id, take the cook's next load steps.
    by_cook = np.lexsort((p_diner, p_cook))
    sorted_cook = p_cook[by_cook]
    nth = np.arange(len(by_cook)) - np.searchsorted(sorted_cook, sorted_cook, side="left")
    load_cost = np.zeros(len(picked), dtype=np.int64)
    load_cost[by_cook] = LOAD_STEP_COST * (index.load[sorted_cook] + nth)
    total = graph.cost[picked] + load_cost
    if int(total.sum()) != objective:
        raise RuntimeError("assignment costs do not add up to the solver's objective")

    start = graph.start[picked]
    assignments = list(
        map(
            Assignment,
            graph.diner_ids[p_diner].tolist(),
            index.ids[p_cook].tolist(),
            (start // DAY_STRIDE).tolist(),
            (start % DAY_STRIDE).tolist(),
            graph.distance[picked].tolist(),
            total.tolist(),
        )
    )
    assigned = np.zeros(len(graph.diner_ids), dtype=np.bool_)
    assigned[p_diner] = True
    rows = np.flatnonzero(~assigned)
    names = [*UNMATCHED_REASONS, UnmatchedReason.no_capacity]
    unmatched = list(
        zip(
            graph.diner_ids[rows].tolist(),
            [names[level] for level in graph.level[rows].tolist()],
            strict=True,
        )
    )
    return BatchResult(assignments=assignments, unmatched=unmatched, objective=objective)


def batch_match(
    diners: Sequence[DinerInput],
    cooks: Sequence[CookInput],
    *,
    max_radius_m: float,
    index: CookIndex | None = None,
    prune_k: int | None = None,
) -> BatchResult:
    """Match many waiting diners at once, optimally (see ``solve_batch``).

    ``index`` may be passed when it is already built for exactly these ``cooks``. ``prune_k``
    keeps only each diner's k cheapest edges: faster, and optimal whenever the pruned edges
    would not have been used (the benchmark compares both).
    """
    if index is None:
        index = CookIndex(cooks)
    elif len(index) != len(cooks) or not np.array_equal(
        index.ids, np.fromiter(map(attrgetter("id"), cooks), dtype=np.int64, count=len(cooks))
    ):
        raise ValueError("the index was built for other cooks")
    graph = batch_candidates(diners, index, max_radius_m=max_radius_m, prune_k=prune_k)
    return solve_batch(graph)
