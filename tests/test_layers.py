"""Imports flow one way (issue 12): the import-linter contracts hold, and no cycle remains."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept_when_the_app_is_linted():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_modules_import_each_other_in_a_cycle_when_every_import_counts():
    # grimp counts every import: at module level, inside functions and under TYPE_CHECKING.
    graph = grimp.build_graph("app", cache_dir=None)
    edges = nx.DiGraph(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
    )
    cycles = [sorted(group) for group in nx.strongly_connected_components(edges) if len(group) > 1]
    assert cycles == []
