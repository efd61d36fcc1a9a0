"""Graph algorithms of the engine, on plain integers: Kahn's layers and order, the cycle a failed sort
leaves behind, and the cutover graph reduced to the cutovers themselves.

``topological_layers`` is public (waves are its layers); the others work on the engine's adjacency lists,
``preds[v]`` / ``succs[v]`` as ``(node, add, type)`` tuples sorted by node.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from .model import CyclicDependencyError


def find_cycle(remaining: Iterable[int], preds_of: Callable[[int], Iterable[int]]) -> tuple[int, ...]:
    """A cycle among ``remaining`` (nodes that all keep a remaining predecessor): walk predecessors from
    the smallest node, smallest first. Returned in dependency order, starting at its smallest node."""
    rem = set(remaining)
    v = min(rem)
    seen: dict[int, int] = {}
    path: list[int] = []
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        v = min(p for p in preds_of(v) if p in rem)
    cycle = path[seen[v] :]
    cycle.reverse()  # the walk went against the arrows
    k = cycle.index(min(cycle))
    return tuple(cycle[k:] + cycle[:k])


def topological_layers(nodes: Iterable[int], edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Kahn's layers of a DAG: layer 0 has no predecessor, layer k only predecessors in layers < k (and
    one in layer k − 1). Each layer is sorted by id. Raises ``CyclicDependencyError`` naming a cycle, and
    ``ValueError`` for an edge between unknown nodes."""
    order = sorted(set(nodes))
    succ: dict[int, list[int]] = {v: [] for v in order}
    preds: dict[int, list[int]] = {v: [] for v in order}
    indeg = dict.fromkeys(order, 0)
    for p, s in edges:
        if p not in succ or s not in succ:
            raise ValueError(f"edge {p} → {s} refers to an unknown node")
        succ[p].append(s)
        preds[s].append(p)
        indeg[s] += 1
    layers: list[list[int]] = []
    layer = [v for v in order if indeg[v] == 0]
    placed = 0
    while layer:
        layers.append(layer)
        placed += len(layer)
        nxt = []
        for v in layer:
            for s in succ[v]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    nxt.append(s)
        layer = sorted(nxt)
    if placed < len(order):
        raise CyclicDependencyError(find_cycle((v for v in order if indeg[v] > 0), preds.__getitem__))
    return layers


def topological_order(
    ids: list[int], preds: list[list[tuple[int, int, int]]], succs: list[list[tuple[int, int, int]]]
) -> list[int]:
    """Kahn's order of the positions ``0 … len(ids) − 1`` (first in, first out). Raises
    ``CyclicDependencyError`` naming a cycle by step id."""
    n = len(ids)
    indeg = [len(p) for p in preds]
    queue = deque(v for v in range(n) if not indeg[v])
    order: list[int] = []
    append, popleft = order.append, queue.popleft
    while queue:
        v = popleft()
        append(v)
        for s, _, _ in succs[v]:
            indeg[s] -= 1
            if not indeg[s]:
                queue.append(s)
    if len(order) < n:
        remaining = [ids[v] for v in range(n) if indeg[v]]
        pos = {ids[v]: v for v in range(n)}
        raise CyclicDependencyError(
            find_cycle(remaining, lambda i: [ids[p] for p, _, _ in preds[pos[i]]])
        )
    return order


def reduced_cutover_graph(
    order: list[int], preds: list[list[tuple[int, int, int]]], live: list[bool]
) -> list[list[int]]:
    """For each live cutover, the live cutovers that reach it through non-cutover steps only (sorted)."""
    n = len(live)
    bit = {}
    for v in range(n):
        if live[v]:
            bit[v] = len(bit)
    by_bit = list(bit)  # bits ascend with the step id, so the lists below come out sorted
    contrib = [0] * n  # the cutovers a successor of v sees through v, as a bit mask
    reduced: list[list[int]] = [[] for _ in range(n)]
    for v in order:
        m = 0
        for p, _, _ in preds[v]:
            m |= contrib[p]
        if live[v]:
            contrib[v] = 1 << bit[v]
            lst = reduced[v]
            while m:
                low = m & -m
                lst.append(by_bit[low.bit_length() - 1])
                m ^= low
        else:
            contrib[v] = m
    return reduced
