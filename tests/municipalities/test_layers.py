"""The layers hold: municipalities imports nothing from systems or runbook, systems nothing from runbook (a
change below that moves plans sends a signal; the runbook connects the replan)."""
from __future__ import annotations

import grimp

LOWER = {"municipalities": ("systems", "runbook"), "systems": ("runbook",)}


def test_the_lower_apps_import_nothing_from_the_apps_above():
    # no cache: a graph cached by file times can outlive a quick edit
    graph = grimp.build_graph("municipalities", "systems", "runbook", "core", "engine", cache_dir=None)
    upward = sorted(
        (module, imported)
        for module in graph.modules
        if module.split(".")[0] in LOWER
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in LOWER[module.split(".")[0]]
    )
    assert upward == []
