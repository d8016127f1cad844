"""Cause before echoes: when one wrong number breaks several relations (a wrong 表三 cell breaks its row total, its
column's （七） sum and the column balance), the finding that names the likely cause comes first and the others are
its consequences.

Every broken relation is linear: sum(left) − sum(right) = difference (``sum_equals``), or this year's cell − last
year's figure (the ``previous_*`` equalities). Changing one cell by δ moves the difference of each relation that
holds the cell by ±δ. A cell is the likely cause of a group of broken relations when

- it sits in at least two broken relations, and one and the same change of it (to a value ≥ 0) repairs all of them,
- and every relation holding it that can be evaluated is among them (changing it breaks nothing that holds now).

That is exactly what a single wrong number produces; a relation that breaks alone (a 表四 part or its total) does
not say which of its cells is wrong, and gets no cause. Several wrong numbers are found one after the other, the
cell that explains the most relations first. Linking never changes the findings' counts, only their order and the
``cause``/``caused_by``/``consequences`` fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xltools.format.findings import CellRef, Finding, Number
from xltools.format.spec import FormatSpec
from xltools.reading.values import Values

_EPS = 1e-9


class Relation:
    """One relation as coefficients of this year's cells (+1 left, −1 right) and its finding (None: it holds)."""

    __slots__ = ("coef", "difference", "finding")

    def __init__(self, coef: dict[str, int], difference: float, finding: Finding | None):
        self.coef, self.difference, self.finding = coef, difference, finding


def _relations(spec: FormatSpec, values: Values, findings: Sequence[Finding]) -> list[Relation]:
    """Every evaluable relation of the format's sum rules (broken or not) and of the last-year equalities found."""
    by_cells = {(f.rule, tuple(c.id for c in f.cells)): f for f in findings
                if isinstance(f.difference, int | float)}
    out: list[Relation] = []
    for rel in spec.sum_relations():
        cells = (*rel.left, *rel.right)
        if any(values.number(c) is None for c in cells):
            continue  # left out of the checks: its own finding says why
        coef: dict[str, int] = {}
        for c in rel.left:
            coef[c] = coef.get(c, 0) + 1
        for c in rel.right:
            coef[c] = coef.get(c, 0) - 1
        found = by_cells.get((rel.rule, cells))
        out.append(Relation(coef, float(found.difference or 0) if found else 0.0, found))
    for f in findings:
        linear = _linear(spec, f)
        if linear and isinstance(f.difference, int | float):
            out.append(Relation(linear, float(f.difference), f))
    return out


def _linear(spec: FormatSpec, f: Finding) -> dict[str, int] | None:
    """A last-year or text finding as coefficients of this year's cells (its difference = Σ coef × cell − …)."""
    rule = spec.rules_by_id.get(f.rule)
    if rule is None or not f.cells:
        return None
    if rule.kind == "previous_equals":
        return {f.cells[0].id: 1}
    if rule.kind == "previous_balance":
        params = next((p for p in rule.expanded if p["cell"] == f.cells[0].id), None)
        if params is None:
            return None
        coef = {params["cell"]: 1}
        for c in params["plus"]:
            coef[c] = coef.get(c, 0) - 1
        for c in params["minus"]:
            coef[c] = coef.get(c, 0) + 1
        return coef
    if rule.kind == "text_quotes":  # quoted − Σ table cells (cells[0] is the text)
        coef = {}
        for c in f.cells[1:]:
            coef[c.id] = coef.get(c.id, 0) - 1
        return coef
    return None


def _best_cause(relations: list[Relation], values: Values, taken: set[int]
                ) -> tuple[str, float, list[Relation]] | None:
    """The cell whose single change repairs the most broken relations (at least two) and breaks none."""
    holding: dict[str, list[Relation]] = {}
    for rel in relations:
        for cell, k in rel.coef.items():
            if k:
                holding.setdefault(cell, []).append(rel)
    best: tuple[str, float, list[Relation]] | None = None
    tie = False
    for cell, rels in holding.items():
        broken = [r for r in rels if r.finding is not None and id(r.finding) not in taken]
        if len(broken) < 2 or len(broken) != len(rels):
            continue
        deltas = [-r.difference / r.coef[cell] for r in broken]
        if any(abs(d - deltas[0]) > _EPS * max(1.0, abs(deltas[0])) for d in deltas):
            continue
        now = values.number(cell) or 0
        if now + deltas[0] < -_EPS:
            continue
        if best is None or len(broken) > len(best[2]):
            best, tie = (cell, deltas[0], broken), False
        elif len(broken) == len(best[2]):
            tie = True
    return None if best is None or tie else best


def _value(now: Number, delta: float) -> Number:
    v = now + delta
    return round(v) if isinstance(now, int) and abs(v - round(v)) < _EPS else v


def link_causes(spec: FormatSpec, values: Values, findings: Iterable[Finding]) -> list[Finding]:
    """The findings in their order, but each group of relations broken by one likely wrong cell moved together:
    its head (the finding whose first cell is that cell, else the group's first; it carries ``cause``,
    ``cause_value`` and ``consequences``) at the place of the group's first finding, its echoes (``caused_by``)
    right after it."""
    items = list(findings)
    if sum(isinstance(f.difference, int | float) for f in items) < 2:
        return items  # a cause needs two broken relations at least: nothing to link (every consistent report)
    relations = _relations(spec, values, items)
    taken: set[int] = set()
    groups: list[tuple[str, float, list[Finding]]] = []
    while (found := _best_cause(relations, values, taken)) is not None:
        cell, delta, broken = found
        members = [r.finding for r in broken if r.finding is not None]
        taken.update(id(f) for f in members)
        groups.append((cell, delta, members))
    if not groups:
        return items
    position = {id(f): i for i, f in enumerate(items)}
    replaced: dict[int, Finding] = {}
    follow: dict[int, list[Finding]] = {}
    moved: set[int] = set()
    for cell, delta, members in groups:
        members.sort(key=lambda f: position[id(f)])
        naming = [f for f in members if f.cells and f.cells[0].id == cell]  # a finding pointing at the cause
        head = naming[0] if naming else members[0]
        echoes = [f for f in members if f is not head]
        first = members[0]
        now = values.number(cell) or 0
        ref = CellRef.of(spec.cell(cell), values.addresses.get(cell))
        new_head = head._replace(cause=ref, cause_value=_value(now, delta), consequences=tuple(e.id for e in echoes))
        replaced[id(first)] = new_head
        follow[id(first)] = [e._replace(caused_by=new_head.id) for e in echoes]
        moved.update(id(f) for f in members if f is not first)
    out: list[Finding] = []
    for f in items:
        if id(f) in moved:
            continue
        out.append(replaced.get(id(f), f))
        out.extend(follow.get(id(f), ()))
    return out
