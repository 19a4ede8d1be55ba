"""No import cycle between the modules of the ``ketaclinic`` package.

The graph is built by grimp from the source (the AST), not by importing: every ``import`` and
``from ... import`` of every module, at the top or deferred inside a function. An edge goes from a
module to the module it names: for ``from pkg import name``, to ``pkg.name`` when that is a
submodule, else to ``pkg`` (its ``__init__``). A package ``__init__`` that imports its own
submodules is therefore no cycle unless a submodule imports the package back.

Imports under ``if TYPE_CHECKING:`` are left out: they never run, so they cannot give a half-
initialised module at import time, and annotations that name a type from a module that imports
this one (a selector's return type, a model of a neighbouring app) are no dependency of the running
code. Deferred imports are kept: a function-level import that closes a circle is a circle hidden
from the reader, often added to get around the very import error a cycle produces.

A cycle is printed as its chain of imports with file lines; the strongly connected components are
found with Tarjan's algorithm over grimp's graph.
"""

from __future__ import annotations

import itertools
from collections import deque

import grimp
import pytest

PACKAGE = "ketaclinic"

# Cycles on main that belong to work in progress elsewhere (issue 8). Each entry is the set of
# modules of one cycle; its test below is an expected failure until the cycle is gone, and then
# fails (strict) so the entry is removed. Empty: the demo cycle (core.demo <-> treatment.demo) was
# broken by ketaclinic/core/demo_data.py.
KNOWN_CYCLES: list[frozenset[str]] = []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm, iterative (deep import chains must not hit the recursion limit); only
    components of more than one module (a module importing itself is not a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, sorted(graph.find_modules_directly_imported_by(root))))
        while work:
            node, children = work[-1]
            if children:
                child = children.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.find_modules_directly_imported_by(child))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def one_cycle(graph: grimp.ImportGraph, component: set[str]) -> list[str]:
    """A shortest circle through the component's first module, staying inside the component."""
    start = min(component)
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph.find_modules_directly_imported_by(node) & component):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return sorted(component)  # unreachable for a strongly connected component


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    lines = [" -> ".join(cycle)]
    for importer, imported in itertools.pairwise(cycle):
        lines.extend(
            f"    {importer} line {detail['line_number']}: {detail['line_contents'].strip()}"
            for detail in graph.get_import_details(importer=importer, imported=imported)
        )
    return "\n".join(lines)


def test_the_graph_covers_the_package_including_deferred_imports(graph) -> None:
    assert {"ketaclinic.core.demo", "ketaclinic.treatment.demo", "ketaclinic.testing"} <= set(
        graph.modules
    )
    # core.demo imports the apps' demo steps inside a function: a deferred import is an edge.
    assert graph.direct_import_exists(
        importer="ketaclinic.core.demo", imported="ketaclinic.treatment.demo"
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    fake = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c"):
        fake.add_module(module)
    fake.add_import(importer="p", imported="p.a")  # a package re-exporting its submodule
    fake.add_import(importer="p.a", imported="p.b")
    fake.add_import(importer="p.b", imported="p.c")
    fake.add_import(importer="p.c", imported="p.a")
    assert strongly_connected(fake) == [{"p.a", "p.b", "p.c"}]
    assert one_cycle(fake, {"p.a", "p.b", "p.c"}) == ["p.a", "p.b", "p.c", "p.a"]


def test_there_is_no_import_cycle(graph) -> None:
    cycles = [c for c in strongly_connected(graph) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, (
        "import cycles (break each, e.g. move the shared name to a lower module):\n"
        + ("\n".join(describe(graph, one_cycle(graph, c)) for c in cycles))
    )


if KNOWN_CYCLES:  # an empty parametrisation would show as a skipped test

    @pytest.mark.xfail(strict=True, reason="a known cycle of work in progress (issue 8)")
    @pytest.mark.parametrize("cycle", KNOWN_CYCLES, ids=lambda c: " <-> ".join(sorted(c)))
    def test_a_known_cycle_is_gone(graph, cycle: frozenset[str]) -> None:
        """Passes (and so fails, strict) once the cycle is broken: then remove it from the list."""
        assert cycle not in {frozenset(c) for c in strongly_connected(graph)}
