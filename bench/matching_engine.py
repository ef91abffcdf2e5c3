"""Benchmark of the matching engine on synthetic people placed at real GB postcode sectors.

Run: ``.venv/bin/python bench/matching_engine.py [--quick]``

People are placed at postcode-sector centroids (weighted by how many postcodes each sector has,
so where people actually live) with a few hundred metres of jitter. "city" uses the sectors
within 25 km of Charing Cross (London); "national" uses all of Great Britain. Needs, skills and
availability follow plausible mixes: most diners need little, some have allergies; most cooks
cook "regular" food and avoid a few allergens.

Measured in one run: index build, single-diner suggestion latency, the batch (candidate
generation and min-cost-flow solving separately) with its memory, pruned against unpruned
objectives, and a naive baseline (every cook for every diner, geopy geodesic distance, the same
rules in plain Python) on a few diners, with the speed-up.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import gzip
import io
import math
import os
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from geopy.distance import geodesic

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.matching.engine import (  # noqa: E402
    CookIndex,
    CookInput,
    DinerInput,
    Window,
    batch_candidates,
    pair_cost,
    prune,
    shared_windows,
    solve_batch,
    suggest,
)

SECTOR_FILES = [
    ROOT / "app/geo/data/uk_postcode_sector_centroids.csv",
    ROOT / "app/geo/data/uk_postcode_sector_centroids.csv.gz",
    # beside the project: the folder its repository sits in holds shared/data/geo/
    ROOT.parent / "shared/data/geo/uk_postcode_sector_centroids.csv",
]
CHARING_CROSS = (51.5074, -0.1278)
CITY_RADIUS_KM = 25.0
JITTER_M = 250.0  # standard deviation, north and east, around a sector centroid
MAX_RADIUS_M = 2_000  # the council's maximum walking radius
PRUNE_KS = (8, 16, 32)
LOAD_AT_START = "?"
EARTH_R = 6_371_008.8

DIET_RATE = {  # share of cooks who can cook it
    "vegetarian": 0.45,
    "vegan": 0.12,
    "pescatarian": 0.25,
    "halal": 0.15,
    "kosher": 0.04,
    "no_pork": 0.35,
    "no_beef": 0.25,
    "diabetic_friendly": 0.25,
    "low_salt": 0.35,
}
FREE_RATE = {  # share of cooks who can cook free from it
    "celery": 0.5,
    "cereals_containing_gluten": 0.25,
    "crustaceans": 0.7,
    "eggs": 0.3,
    "fish": 0.55,
    "lupin": 0.7,
    "milk": 0.3,
    "molluscs": 0.7,
    "mustard": 0.5,
    "tree_nuts": 0.55,
    "peanuts": 0.65,
    "sesame": 0.5,
    "soya": 0.4,
    "sulphites": 0.4,
}
TEXTURE_RATE = {"easy_to_chew": 0.5, "soft_bite_sized": 0.3, "minced_moist": 0.12, "pureed": 0.06}
DINER_DIET_WEIGHT = {
    "vegetarian": 0.28,
    "halal": 0.18,
    "diabetic_friendly": 0.22,
    "low_salt": 0.14,
    "no_pork": 0.06,
    "kosher": 0.04,
    "vegan": 0.03,
    "pescatarian": 0.03,
    "no_beef": 0.02,
}
DINER_ALLERGY_WEIGHT = {
    "peanuts": 0.25,
    "tree_nuts": 0.15,
    "milk": 0.15,
    "cereals_containing_gluten": 0.12,
    "eggs": 0.08,
    "fish": 0.05,
    "crustaceans": 0.05,
    "sesame": 0.05,
    "soya": 0.04,
    "celery": 0.02,
    "mustard": 0.02,
    "molluscs": 0.01,
    "lupin": 0.005,
    "sulphites": 0.005,
}
TEXTURE_WEIGHT = {
    "regular": 0.65,
    "easy_to_chew": 0.15,
    "soft_bite_sized": 0.10,
    "minced_moist": 0.07,
    "pureed": 0.03,
}
FREQUENCY_WEIGHT = {"weekly": 0.7, "fortnightly": 0.2, "monthly": 0.1}


# --- data ---------------------------------------------------------------------------------------


def load_sectors() -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """Sector centroids (lat, lon, postcode count) from the first data file present."""
    for path in SECTOR_FILES:
        if path.exists():
            raw = path.read_bytes()
            text = gzip.decompress(raw).decode() if path.suffix == ".gz" else raw.decode()
            rows = list(csv.DictReader(io.StringIO(text)))
            lat = np.array([float(r.get("latitude") or r["lat"]) for r in rows])
            lon = np.array([float(r.get("longitude") or r["lon"]) for r in rows])
            weight = np.array([float(r.get("postcode_count") or 1) for r in rows])
            return path, lat, lon, weight
    raise SystemExit("no postcode sector centroids found")


def haversine_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), math.radians(lat0)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * math.cos(p2) * np.sin(np.radians(lon0 - lon) / 2) ** 2
    )
    return 2 * EARTH_R * np.arcsin(np.sqrt(a)) / 1_000


class Population:
    """Draws cooks and diners at sector centroids with jitter."""

    def __init__(self, rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, w: np.ndarray):
        self.rng, self.lat, self.lon = rng, lat, lon
        self.p = w / w.sum()
        self._sets: dict[tuple[str, int], frozenset[str]] = {}

    def positions(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        k = self.rng.choice(len(self.lat), size=n, p=self.p)
        north = self.rng.normal(0, JITTER_M, n)
        east = self.rng.normal(0, JITTER_M, n)
        lat = self.lat[k] + np.degrees(north / EARTH_R)
        lon = self.lon[k] + np.degrees(east / (EARTH_R * np.cos(np.radians(self.lat[k]))))
        return lat, lon

    def _bits(self, rates: dict[str, float], n: int) -> np.ndarray:
        draws = self.rng.random((n, len(rates))) < np.array(list(rates.values()))
        return draws @ (1 << np.arange(len(rates), dtype=np.int64))

    def _set(self, kind: str, names: list[str], mask: int) -> frozenset[str]:
        key = (kind, mask)
        found = self._sets.get(key)
        if found is None:
            found = frozenset(n for i, n in enumerate(names) if mask >> i & 1)
            self._sets[key] = found
        return found

    def _windows(self, n: int, counts: list[float], lunch_share: float) -> list[tuple]:
        rng = self.rng
        k = rng.choice(len(counts), size=n, p=counts) + 1
        total = int(k.sum())
        day = rng.integers(0, 7, total)
        lunch = rng.random(total) < lunch_share
        start = np.where(
            lunch, 660 + 30 * rng.integers(0, 4, total), 990 + 30 * rng.integers(0, 5, total)
        )
        length = rng.choice([60, 90, 120, 180], size=total, p=[0.25, 0.3, 0.3, 0.15])
        end = np.minimum(start + length, 1_440)
        out, at = [], 0
        for m in k:
            out.append(
                tuple(Window(int(day[i]), int(start[i]), int(end[i])) for i in range(at, at + m))
            )
            at += m
        return out

    def cooks(self, n: int, first_id: int = 1) -> list[CookInput]:
        rng = self.rng
        lat, lon = self.positions(n)
        radius = rng.choice([800, 1_000, 1_500, 2_000], size=n, p=[0.1, 0.2, 0.55, 0.15])
        matchable = rng.random(n) < 0.9
        max_diners = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
        load = np.minimum(max_diners, rng.choice([0, 1, 2], size=n, p=[0.7, 0.2, 0.1]))
        freq = self._bits({"weekly": 0.9, "fortnightly": 0.5, "monthly": 0.3}, n)
        freq = np.where(freq == 0, 1, freq)
        diets = self._bits(DIET_RATE, n)
        free = self._bits(FREE_RATE, n)
        tex = self._bits(TEXTURE_RATE, n) << 1 | 1  # everyone cooks regular
        windows = self._windows(n, [0.3, 0.35, 0.25, 0.1], lunch_share=0.35)
        fnames = ["weekly", "fortnightly", "monthly"]
        tnames = ["regular", *TEXTURE_RATE]
        return [
            CookInput(
                id=first_id + i,
                lat=float(lat[i]),
                lon=float(lon[i]),
                radius_m=int(radius[i]),
                matchable=bool(matchable[i]),
                spare=int(max_diners[i] - load[i]),
                load=int(load[i]),
                frequencies=self._set("f", fnames, int(freq[i])),
                diets=self._set("d", list(DIET_RATE), int(diets[i])),
                allergen_free=self._set("a", list(FREE_RATE), int(free[i])),
                textures=self._set("t", tnames, int(tex[i])),
                windows=windows[i],
            )
            for i in range(n)
        ]

    def _pick(self, weights: dict[str, float], n: int) -> np.ndarray:
        p = np.array(list(weights.values()))
        return self.rng.choice(len(weights), size=n, p=p / p.sum())

    def diners(self, n: int, first_id: int = 1_000_000) -> list[DinerInput]:
        rng = self.rng
        lat, lon = self.positions(n)
        diet_count = rng.choice([0, 1, 2], size=n, p=[0.7, 0.24, 0.06])
        allergy_count = rng.choice([0, 1, 2], size=n, p=[0.78, 0.17, 0.05])
        d1, d2 = self._pick(DINER_DIET_WEIGHT, n), self._pick(DINER_DIET_WEIGHT, n)
        a1, a2 = self._pick(DINER_ALLERGY_WEIGHT, n), self._pick(DINER_ALLERGY_WEIGHT, n)
        texture = self._pick(TEXTURE_WEIGHT, n)
        frequency = self._pick(FREQUENCY_WEIGHT, n)
        windows = self._windows(n, [0.45, 0.4, 0.15], lunch_share=0.6)
        dn, an = list(DINER_DIET_WEIGHT), list(DINER_ALLERGY_WEIGHT)
        tn, fn = list(TEXTURE_WEIGHT), list(FREQUENCY_WEIGHT)
        out = []
        for i in range(n):
            diet_mask = (1 << int(d1[i]) if diet_count[i] else 0) | (
                1 << int(d2[i]) if diet_count[i] > 1 else 0
            )
            allergy_mask = (1 << int(a1[i]) if allergy_count[i] else 0) | (
                1 << int(a2[i]) if allergy_count[i] > 1 else 0
            )
            out.append(
                DinerInput(
                    id=first_id + i,
                    lat=float(lat[i]),
                    lon=float(lon[i]),
                    diets=self._set("dd", dn, diet_mask),
                    allergies=self._set("da", an, allergy_mask),
                    texture=tn[int(texture[i])],
                    frequency=fn[int(frequency[i])],
                    windows=windows[i],
                )
            )
        return out

    def history(self, diners: list[DinerInput], index: CookIndex) -> list[DinerInput]:
        """Give 5 % of diners a cook they met before and 1 % a cook they asked to change."""
        rng = self.rng
        roll = rng.random(len(diners))
        out = list(diners)
        for i in np.flatnonzero(roll < 0.06):
            d = diners[i]
            near = index.within(d.lat, d.lon, 1_500)
            if not near:
                continue
            cook_id = index.cooks[near[int(rng.integers(len(near)))]].id
            if roll[i] < 0.05:
                out[i] = dataclasses.replace(d, met=frozenset({cook_id}))
            else:
                out[i] = dataclasses.replace(d, excluded=frozenset({cook_id}))
        return out


# --- measuring ----------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def rss_peak(result: dict[str, int]) -> Iterator[None]:
    """Peak resident memory above the starting level, sampled every 2 ms by a thread."""
    gc.collect()
    base, base_max = rss_bytes(), maxrss_bytes()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.002):
            peak[0] = max(peak[0], rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], rss_bytes())
        result["rss_peak"] = peak[0] - base
        result["maxrss_delta"] = maxrss_bytes() - base_max


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """The value, wall seconds and CPU seconds (this process) of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - w0, time.process_time() - c0


def naive_candidates(diner: DinerInput, cooks: list[CookInput]) -> list[int]:
    """Every cook checked in plain Python, geodesic distance first, then the same rules."""
    found = []
    for cook in cooks:
        dist = geodesic((diner.lat, diner.lon), (cook.lat, cook.lon)).meters
        if not (cook.matchable and cook.spare > 0 and dist <= min(cook.radius_m, MAX_RADIUS_M)):
            continue
        if cook.id in diner.excluded or diner.frequency not in cook.frequencies:
            continue
        if not diner.diets <= cook.diets or diner.texture not in cook.textures:
            continue
        if not diner.allergies <= cook.allergen_free or not shared_windows(cook, diner):
            continue
        found.append(cook)
    found.sort(key=lambda c: (pair_cost(c, diner), c.id))
    return [c.id for c in found]


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1_000:.1f} ms"


def fmt_wc(wall: float, cpu: float) -> str:
    return f"{fmt_s(wall)} ({fmt_s(cpu)})"


def fmt_mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


# --- the run ------------------------------------------------------------------------------------


def run_size(
    name: str,
    pop: Population,
    n_cooks: int,
    n_diners: int,
    n_suggest: int,
    out: dict[str, dict[str, str]],
) -> list[CookInput]:
    print(f"[{name}] generating {n_cooks:,} cooks and {n_diners:,} diners ...", flush=True)
    (cooks, diners), gen_s, _ = timed(lambda: (pop.cooks(n_cooks), pop.diners(n_diners)))
    col = out.setdefault(name, {})
    col["cooks / diners"] = f"{n_cooks:,} / {n_diners:,}"

    index, wall, cpu = timed(lambda: CookIndex(cooks))
    col["index build"] = fmt_wc(wall, cpu)
    diners = pop.history(diners, index)

    print(f"[{name}] suggestions for {n_suggest:,} diners ...", flush=True)
    sample = [diners[int(i)] for i in pop.rng.choice(len(diners), n_suggest, replace=False)]
    suggest(sample[0], index, max_radius_m=MAX_RADIUS_M)  # warm-up
    walls, cpus, found = [], [], 0
    for d in sample:
        res, wall, cpu = timed(lambda d=d: suggest(d, index, max_radius_m=MAX_RADIUS_M, limit=10))
        walls.append(wall * 1_000)
        cpus.append(cpu * 1_000)
        found += bool(res.items)
    walls.sort()
    cpus.sort()
    col[f"suggest median (n={n_suggest:,})"] = (
        f"{statistics.median(walls):.2f} ms ({statistics.median(cpus):.2f} ms)"
    )
    col["suggest p99"] = f"{percentile(walls, 0.99):.2f} ms ({percentile(cpus, 0.99):.2f} ms)"
    col["diners with a suggestion"] = f"{found / len(sample):.0%}"

    print(f"[{name}] batch ...", flush=True)
    mem: dict[str, int] = {}
    with rss_peak(mem):
        graph, cand_w, cand_c = timed(
            lambda: batch_candidates(diners, index, max_radius_m=MAX_RADIUS_M)
        )
        result, solve_w, solve_c = timed(lambda: solve_batch(graph))
    col["batch: candidates phase"] = fmt_wc(cand_w, cand_c)
    col["batch: solve phase (min-cost flow)"] = fmt_wc(solve_w, solve_c)
    col["batch: total"] = fmt_wc(cand_w + solve_w, cand_c + solve_c)
    col["candidate edges"] = f"{graph.edges:,}"
    matched = len(result.assignments)
    col["matched"] = f"{matched:,} ({matched / n_diners:.0%})"
    reasons = Counter(r for _, r in result.unmatched)
    col["unmatched: reach / time / diet"] = " / ".join(
        f"{reasons[r]:,}" for r in ("no_cook_in_reach", "no_shared_time", "no_cook_for_diet")
    )
    col["unmatched: allergy / texture / capacity"] = " / ".join(
        f"{reasons[r]:,}" for r in ("no_cook_for_allergy", "no_cook_for_texture", "no_capacity")
    )
    col["batch peak RSS growth (sampled)"] = fmt_mib(mem["rss_peak"])
    col["batch ru_maxrss growth"] = fmt_mib(mem["maxrss_delta"])
    del result
    gc.collect()

    print(f"[{name}] batch again under tracemalloc ...", flush=True)
    tracemalloc.start()
    traced = solve_batch(batch_candidates(diners, index, max_radius_m=MAX_RADIUS_M))
    col["batch tracemalloc peak"] = fmt_mib(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    col["objective (unpruned)"] = f"{traced.objective:,}"
    del traced

    unpruned = int(col["objective (unpruned)"].replace(",", ""))
    for k in PRUNE_KS:
        pruned_graph, prune_w, _ = timed(lambda k=k: prune(graph, k))
        pruned, wall, cpu = timed(lambda g=pruned_graph: solve_batch(g))
        lost = matched - len(pruned.assignments)
        col[f"prune_k={k}: edges / solve"] = f"{pruned_graph.edges:,} / {fmt_s(wall + prune_w)}"
        col[f"prune_k={k}: vs unpruned"] = (
            f"{lost:,} fewer matched"
            if lost
            else "equal"
            if pruned.objective == unpruned
            else f"cost +{pruned.objective - unpruned:,}"
        )
    col["(data generation, not engine)"] = fmt_s(gen_s)
    gc.collect()
    return cooks


def run_naive(
    pop: Population, cooks: list[CookInput], n_cooks: int, n_diners: int, out: dict
) -> None:
    subset = cooks[:n_cooks]
    print(f"[naive] {n_diners} diners x {len(subset):,} cooks with geodesic ...", flush=True)
    index = CookIndex(subset)
    diners = pop.diners(n_diners, first_id=9_000_000)
    naive_s, engine_s, agree = [], [], 0
    for d in diners:
        ids, secs, _ = timed(lambda d=d: naive_candidates(d, subset))
        naive_s.append(secs)
        res = suggest(d, index, max_radius_m=MAX_RADIUS_M, limit=500)  # every candidate
        runs = []
        for _ in range(20):
            _, s, _ = timed(lambda d=d: suggest(d, index, max_radius_m=MAX_RADIUS_M, limit=10))
            runs.append(s)
        engine_s.append(statistics.median(runs))
        agree += {s.cook_id for s in res.items} == set(ids)
    naive, engine = statistics.mean(naive_s), statistics.mean(engine_s)
    col = out.setdefault("naive", {})
    col["naive per diner (geodesic scan)"] = fmt_s(naive)
    col["engine suggest, limit 10 (median of 20)"] = f"{engine * 1_000:.2f} ms"
    col["speed-up"] = f"{naive / engine:,.0f}x"
    col["same candidate sets (engine limit 500)"] = f"{agree} of {n_diners}"
    col["setting"] = f"{n_diners} diners x {len(subset):,} cooks"


def print_table(out: dict[str, dict[str, str]], source: Path, quick: bool) -> None:
    sizes = [k for k in ("city", "national") if k in out]
    keys: list[str] = []
    for k in sizes:
        keys += [key for key in out[k] if key not in keys]
    width = max(len(k) for k in keys) + 2
    print()
    shown = os.path.relpath(source, ROOT)  # relative to the project, on any machine
    print(f"Matching engine benchmark{' (--quick)' if quick else ''}; sectors from {shown}")
    print(
        f"max radius {MAX_RADIUS_M} m; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"load average {LOAD_AT_START} at start, {os.getloadavg()[0]:.1f} at end"
    )
    print("times: wall (CPU time of this process)")
    print()
    print("metric".ljust(width) + "".join(s.rjust(26) for s in sizes))
    print("-" * (width + 26 * len(sizes)))
    for key in keys:
        print(key.ljust(width) + "".join(out[s].get(key, "").rjust(26) for s in sizes))
    if "naive" in out:
        print()
        print("naive baseline".ljust(width) + out["naive"]["setting"].rjust(26))
        print("-" * (width + 26))
        for key, value in out["naive"].items():
            if key != "setting":
                print(key.ljust(width) + value.rjust(26))
    print()
    print(
        "Memory: 'peak RSS growth' samples /proc/self/statm every 2 ms during the batch (resident"
        "\nmemory above the level before it, OR-Tools included); 'ru_maxrss growth' is how far the"
        "\nbatch raised the process high-water mark (0 if it stayed under an earlier peak);"
        "\n'tracemalloc peak' counts the batch's Python and numpy allocations (not OR-Tools' C++)."
        "\nprune_k rows: edges kept and the solve time on them; 'equal' means the same number"
        "\nmatched and the same objective as the unpruned batch."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--seed", type=int, default=20_241_126)
    args = parser.parse_args()
    if args.quick:
        city, national, n_suggest, naive = (2_000, 1_000), (20_000, 10_000), 200, (10_000, 2)
    else:
        city, national, n_suggest, naive = (20_000, 10_000), (200_000, 100_000), 1_000, (100_000, 3)

    global LOAD_AT_START
    LOAD_AT_START = f"{os.getloadavg()[0]:.1f}"
    source, lat, lon, weight = load_sectors()
    rng = np.random.default_rng(args.seed)
    near = haversine_km(lat, lon, *CHARING_CROSS) <= CITY_RADIUS_KM
    out: dict[str, dict[str, str]] = {}
    run_size("city", Population(rng, lat[near], lon[near], weight[near]), *city, n_suggest, out)
    gc.collect()
    gb = Population(rng, lat, lon, weight)
    cooks = run_size("national", gb, *national, n_suggest, out)
    run_naive(gb, cooks, *naive, out)
    print_table(out, source, args.quick)


if __name__ == "__main__":
    main()
