"""A flowchart laid out for an SVG drawn on the server, so the picture needs no script and no
external renderer.

The layout is a small layered (Sugiyama-style) one, enough for charts of a dozen steps:

1. each step goes in the layer of its longest path from the first step (edges that lead back up the
   chart are set aside and drawn round the right-hand side);
2. an edge that skips layers passes through a narrow placeholder in each layer it crosses, so it
   never runs through a step's box;
3. each layer is ordered by the mean position of its predecessors (then by the order of the YAML,
   which is the order the guidance reads), and centred.

Each box holds the step's number, title and timescale, and one link per provision that governs it;
a branch's condition sits above the step it leads to.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from graphlib import TopologicalSorter

from kb.flow import Flowchart, Step

NODE_WIDTH = 260
PLACEHOLDER_WIDTH = 24
PAD = 10
LINE = 18  # px per line of text in a box (14px type)
LABEL_LINE = 16  # px per line of a branch's condition (13px type)
# Characters per line, judged for wide fonts (DejaVu Sans bold is ~0.62em a character) so text never
# spills out of its box whichever sans-serif the reader's system has.
TITLE_CHARS = 26
LINK_CHARS = 30
LABEL_CHARS = 34
GAP_X = 28
GAP_Y = 36
MARGIN = 16
BACK_EDGE_ROOM = 64

Edge = tuple[str, str]


@dataclass(frozen=True)
class Link:
    lines: tuple[str, ...]
    href: str
    title: str


@dataclass(frozen=True)
class Box:
    step: Step
    number: int
    x: float
    y: float
    width: float
    height: float
    title: tuple[str, ...]
    timescale: tuple[str, ...]
    links: tuple[Link, ...]
    condition: tuple[str, ...]  # the wrapped "If ..." of the branches that lead here

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    boxes: tuple[Box, ...]
    paths: tuple[str, ...]  # SVG path data, one per branch


@dataclass
class _Slot:
    """A step or a placeholder for a long edge in one layer, before it has a position."""

    key: str
    order: float
    width: float
    height: float = 0.0
    x: float = 0.0


def back_edges(chart: Flowchart) -> set[Edge]:
    """Edges that lead to a step already on the path from the start (a loop), found depth first."""
    found: set[Edge] = set()
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(step_id: str) -> None:
        on_path.add(step_id)
        for branch in chart.step(step_id).next:
            if branch.to in on_path:
                found.add((step_id, branch.to))
            elif branch.to not in done:
                visit(branch.to)
        on_path.discard(step_id)
        done.add(step_id)

    visit(chart.steps[0].id)
    return found


def layer_of(chart: Flowchart, back: set[Edge]) -> dict[str, int]:
    """Each step's layer: the length of the longest forward path to it from the first step."""
    forward = [(s.id, b.to) for s in chart.steps for b in s.next if (s.id, b.to) not in back]
    sorter = TopologicalSorter({s.id: [a for a, b in forward if b == s.id] for s in chart.steps})
    layers: dict[str, int] = {}
    for step_id in sorter.static_order():
        parents = [layers[a] for a, b in forward if b == step_id]
        layers[step_id] = max(parents, default=-1) + 1
    return layers


def wrap(text: str, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, width, break_on_hyphens=False)) or ("",)


def _box_height(title: tuple[str, ...], timescale: tuple[str, ...], links: tuple[Link, ...]) -> float:
    lines = len(title) + len(timescale) + sum(len(link.lines) for link in links)
    return 2 * PAD + lines * LINE


def _conditions(chart: Flowchart) -> dict[str, tuple[str, ...]]:
    """The wrapped conditions of the branches into each step (the same condition twice, once)."""
    found: dict[str, list[str]] = {}
    for step in chart.steps:
        for branch in step.next:
            if branch.when and branch.when not in found.setdefault(branch.to, []):
                found[branch.to].append(branch.when)
    return {to: wrap("If " + " / or ".join(whens), LABEL_CHARS) for to, whens in found.items() if whens}


def _slots(
    chart: Flowchart, layers: dict[str, int], back: set[Edge]
) -> tuple[list[list[_Slot]], dict[Edge, list[str]]]:
    """Every layer's slots in order, and each forward edge's chain of slot keys from source to target."""
    position = {s.id: n for n, s in enumerate(chart.steps)}
    rows: list[list[_Slot]] = [[] for _ in range(max(layers.values()) + 1)]
    for step in chart.steps:
        rows[layers[step.id]].append(_Slot(step.id, position[step.id], NODE_WIDTH))
    chains: dict[Edge, list[str]] = {}
    for step in chart.steps:
        for branch in step.next:
            edge = (step.id, branch.to)
            if edge in back:
                continue
            chain = [step.id]
            for layer in range(layers[step.id] + 1, layers[branch.to]):
                key = f"{step.id}>{branch.to}@{layer}"
                rows[layer].append(_Slot(key, position[branch.to] - 0.5, PLACEHOLDER_WIDTH))
                chain.append(key)
            chains[edge] = [*chain, branch.to]
    _order(rows, chains)
    return rows, chains


def _order(rows: list[list[_Slot]], chains: dict[Edge, list[str]]) -> None:
    """Sort each layer by the mean index of its slots' predecessors in the layer above."""
    parents: dict[str, list[str]] = {}
    for chain in chains.values():
        for a, b in itertools.pairwise(chain):
            parents.setdefault(b, []).append(a)
    for above, row in itertools.pairwise(rows):
        index = {slot.key: n for n, slot in enumerate(above)}

        def centre_of_parents(slot: _Slot, index: dict[str, int] = index) -> tuple[float, float]:
            ranks = [index[p] for p in parents.get(slot.key, []) if p in index]
            return (sum(ranks) / len(ranks) if ranks else float(len(index)), slot.order)

        row.sort(key=centre_of_parents)


def _curve(points: list[tuple[float, float]]) -> str:
    """A path through the points: S-curves between layers, straight down through placeholders."""
    (x0, y0), *rest = points
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for (ax, ay), (bx, by) in zip(points, rest, strict=False):
        if ax == bx:
            parts.append(f"L{bx:.1f},{by:.1f}")
        else:
            mid = (ay + by) / 2
            parts.append(f"C{ax:.1f},{mid:.1f} {bx:.1f},{mid:.1f} {bx:.1f},{by:.1f}")
    return " ".join(parts)


def _loop(source: Box, target: Box, right: float) -> str:
    """A branch back up the chart, round the right-hand side of both boxes."""
    sy, ty = source.y + source.height / 2, target.y + target.height / 2
    sx, tx = source.x + source.width, target.x + target.width
    return f"M{sx:.1f},{sy:.1f} C{right:.1f},{sy:.1f} {right:.1f},{ty:.1f} {tx:.1f},{ty:.1f}"


def layout(chart: Flowchart, provision: Callable[[str], tuple[str, str]]) -> Drawing:
    """Boxes and branch paths for the chart; ``provision(key)`` gives a linked provision's title and URL."""
    back = back_edges(chart)
    layers = layer_of(chart, back)
    rows, chains = _slots(chart, layers, back)
    conditions = _conditions(chart)
    numbers = {s.id: n for n, s in enumerate(chart.steps, start=1)}
    contents = {}
    for n, step in enumerate(chart.steps, start=1):
        title = wrap(f"{n}. {step.title}", TITLE_CHARS)
        ts = step.timescale
        timescale = wrap(f"Within {ts.within} of step {numbers[ts.start]}", TITLE_CHARS) if ts else ()
        links = tuple(Link(wrap(t, LINK_CHARS), h, t) for t, h in map(provision, step.provisions))
        contents[step.id] = (n, title, timescale, links)
    widest = max(sum(s.width for s in row) + GAP_X * (len(row) - 1) for row in rows)
    tops: list[float] = []
    y = MARGIN
    for row in rows:
        label = max((len(conditions.get(s.key, ())) for s in row), default=0)
        y += (GAP_Y + label * LABEL_LINE) if tops else label * LABEL_LINE
        tops.append(y)
        for slot in row:
            if slot.key in contents:
                _, title, timescale, links = contents[slot.key]
                slot.height = _box_height(title, timescale, links)
        y += max(s.height for s in row)
        x = MARGIN + (widest - sum(s.width for s in row) - GAP_X * (len(row) - 1)) / 2
        for slot in row:
            slot.x = x
            x += slot.width + GAP_X
    boxes: dict[str, Box] = {}
    where: dict[str, tuple[float, float, float]] = {}  # slot key -> centre x, top, bottom
    for top, row in zip(tops, rows, strict=True):
        height = max(s.height for s in row)
        for slot in row:
            where[slot.key] = (slot.x + slot.width / 2, top, top + (slot.height or height))
            if slot.key in contents:
                n, title, timescale, links = contents[slot.key]
                step = chart.step(slot.key)
                condition = conditions.get(slot.key, ())
                boxes[slot.key] = Box(
                    step, n, slot.x, top, slot.width, slot.height, title, timescale, links, condition
                )
    paths = [_curve(_points(chain, where)) for chain in chains.values()]
    right = MARGIN + widest + BACK_EDGE_ROOM / 2
    paths += [_loop(boxes[a], boxes[b], right) for a, b in sorted(back)]
    width = 2 * MARGIN + widest + (BACK_EDGE_ROOM if back else 0)
    ordered = tuple(boxes[s.id] for s in chart.steps)
    return Drawing(width, y + MARGIN, ordered, tuple(paths))


def _points(chain: list[str], where: dict[str, tuple[float, float, float]]) -> list[tuple[float, float]]:
    """From the bottom of the source, down through each placeholder, to the top of the target."""
    first, *middle, last = chain
    points = [(where[first][0], where[first][2])]
    for key in middle:
        x, top, bottom = where[key]
        points += [(x, top), (x, bottom)]
    return [*points, (where[last][0], where[last][1])]
