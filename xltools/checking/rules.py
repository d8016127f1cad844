"""The implementations of the rule kinds declared in ``xltools.format.rulekinds``, registered by name. A rule in the
format spec names its kind and gives its parameters (checked when the spec loads); ``run_rules`` calls the kind
once per ``for_each`` expansion (``RuleSpec.expanded``, from which ``FormatSpec.sum_relations`` also reads).
Every kind is a pure function of the values, with the declared keyword parameters and types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from xltools.format.findings import CellRef, Finding, FindingFactory
from xltools.format.rulekinds import BUILTIN, Level, Number, NumberCellId, TextCellId, implementation_problem
from xltools.format.spec import FormatSpec
from xltools.reading.values import Values

Check = Callable[..., Iterator[Finding]]
KINDS: dict[str, Check] = {}


class Context(NamedTuple):
    """What a kind works on: the format, the report's values and the factory of the rule's findings."""

    spec: FormatSpec
    values: Values
    finding: FindingFactory

    def ref(self, cell_id: str) -> CellRef:
        return CellRef.of(self.spec.cell(cell_id), self.values.addresses.get(cell_id))

    def sum(self, ids: list[NumberCellId]) -> Number | None:
        nums = [self.values.number(i) for i in ids]
        if any(n is None for n in nums):
            return None  # an unusable cell: its own finding says why; do not pile on
        return sum(n for n in nums if n is not None)

    def text(self, cell_id: TextCellId) -> tuple[CellRef, str]:
        """The text cell's reference and its text ("" when empty)."""
        return self.ref(cell_id), self.values.texts.get(cell_id, "")


def kind(fn: Check) -> Check:
    """Register the implementation of the declared kind named like ``fn`` (its parameters must match)."""
    problem = implementation_problem(fn)
    if problem:
        raise TypeError(problem)
    if fn.__name__ in KINDS:
        raise TypeError(f"rule kind {fn.__name__!r} implemented twice")
    KINDS[fn.__name__] = fn
    return fn


def _close(a: Number, b: Number) -> bool:
    return abs(a - b) < 1e-9


@kind
def sum_equals(ctx: Context, *, left: list[NumberCellId], right: list[NumberCellId]) -> Iterator[Finding]:
    """sum(left) must equal sum(right); the finding points at left[0] first."""
    actual, expected = ctx.sum(left), ctx.sum(right)
    if actual is None or expected is None or _close(actual, expected):
        return
    cells = tuple(ctx.ref(i) for i in [*left, *right])
    yield ctx.finding.make(cells, expected=expected, actual=actual, difference=actual - expected)


@kind
def not_less_than(ctx: Context, *, cell: NumberCellId, min: NumberCellId) -> Iterator[Finding]:
    actual, minimum = ctx.values.number(cell), ctx.values.number(min)
    if actual is None or minimum is None or actual >= minimum:
        return
    yield ctx.finding.make((ctx.ref(cell), ctx.ref(min)), expected=minimum, actual=actual,
                           difference=actual - minimum)


@kind
def text_required(ctx: Context, *, cell: TextCellId) -> Iterator[Finding]:
    ref, text = ctx.text(cell)
    if not text.strip():
        yield ctx.finding.make((ref,), expected="（非空）", actual="（空）")


@kind
def text_contains(ctx: Context, *, cell: TextCellId, any: list[str]) -> Iterator[Finding]:
    ref, text = ctx.text(cell)
    if all(word not in text for word in any):
        expected = "提到“" + "”或“".join(any) + "”"
        yield ctx.finding.make((ref,), expected=expected, actual="（空）" if not text else "（未提到）")


@kind
def text_max_length(ctx: Context, *, cell: TextCellId, max: int) -> Iterator[Finding]:
    ref, text = ctx.text(cell)
    length = len("".join(text.split()))  # the characters that are not white space (str.isspace)
    if length > max:
        yield ctx.finding.make((ref,), expected=max, actual=length, difference=length - max)


@kind
def share_at_most(ctx: Context, *, parts: list[NumberCellId], whole: NumberCellId, max_share: float,
                  min_whole: Number) -> Iterator[Finding]:
    part, total = ctx.sum(parts), ctx.values.number(whole)
    if part is None or total is None or total < min_whole or part / total <= max_share:
        return
    cells = tuple(ctx.ref(i) for i in [*parts, whole])
    yield ctx.finding.make(cells, expected=f"≤ {max_share:.0%}", actual=f"{part / total:.0%}", part=part,
                           whole=total, share=f"{part / total:.0%}", limit=f"{max_share:.0%}")


@kind
def at_most_by_level(ctx: Context, *, cell: NumberCellId, limits: dict[Level, Number], default: Number
                     ) -> Iterator[Finding]:
    value = ctx.values.number(cell)
    level = ctx.values.meta.get("level", "")
    limit = limits.get(level, default)
    if value is not None and value > limit:
        yield ctx.finding.make((ctx.ref(cell),), expected=limit, actual=value, level=level or "单位")


@kind
def zero_for_levels(ctx: Context, *, cell: NumberCellId, levels: list[Level]) -> Iterator[Finding]:
    value = ctx.values.number(cell)
    level = ctx.values.meta.get("level")
    if value and level in levels:
        yield ctx.finding.make((ctx.ref(cell),), expected=0, actual=value, level=level)


def run_rules(spec: FormatSpec, values: Values) -> list[Finding]:
    """Every data-driven rule of the format over the values (built-in value/layout rules run while reading)."""
    findings: list[Finding] = []
    for rule in spec.rules:
        if rule.kind == BUILTIN:
            continue  # raised by the reader and the value parser
        check, ctx = KINDS[rule.kind], Context(spec, values, FindingFactory(rule))
        for params in rule.expanded:
            findings.extend(check(ctx, **params))
    return findings
