"""The implementations of the rule kinds declared in ``xltools.format.rulekinds``, registered by name. A rule in the
format spec names its kind and gives its parameters (checked when the spec loads); ``run_rules`` calls the kind
once per ``for_each`` expansion (``RuleSpec.expanded``, from which ``FormatSpec.sum_relations`` also reads).
Every kind is a pure function of the values, with the declared keyword parameters and types."""

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from xltools.checking.text_numbers import quotes
from xltools.format.findings import CellRef, Finding, FindingFactory
from xltools.format.rulekinds import (
    BUILTIN,
    PREVIOUS_KINDS,
    CellId,
    Level,
    Number,
    NumberCellId,
    TextCellId,
    implementation_problem,
)
from xltools.format.spec import FormatSpec
from xltools.reading.values import Values

Check = Callable[..., Iterator[Finding]]
KINDS: dict[str, Check] = {}


class LastYear(NamedTuple):
    """Last year's report of the same unit, as the ``previous_*`` kinds compare with it: its numbers by cell id of
    its format (missing or None: blank or unusable) and what names it in messages."""

    source: str
    format_id: str
    numbers: Mapping[str, Number | None]
    unit: str | None = None
    year: int | None = None


class Context(NamedTuple):
    """What a kind works on: the format, the report's values and the factory of the rule's findings; ``previous``:
    last year's report, for the ``previous_*`` kinds only."""

    spec: FormatSpec
    values: Values
    finding: FindingFactory
    previous: LastYear | None = None

    def ref(self, cell_id: str) -> CellRef:
        return CellRef.of(self.spec.cell(cell_id), self.values.addresses.get(cell_id))

    def sum(self, ids: list[NumberCellId]) -> Number | None:
        if not self.values.invalid.isdisjoint(ids):
            return None  # an unusable cell: its own finding says why; do not pile on
        return sum(map(self.values.numbers.get, ids, itertools.repeat(0)))  # (blank: 0, as ``Values.number``)

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


def _last(ctx: Context, cell_id: str) -> Number | None:
    """Last year's number in ``cell_id`` (None: no last year, blank or unusable)."""
    if ctx.previous is None:
        return None
    value = ctx.previous.numbers.get(cell_id)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _last_source(ctx: Context) -> str:
    """How messages name last year's report (its file, or what the caller named it)."""
    return ctx.previous.source if ctx.previous is not None else ""


@kind
def previous_equals(ctx: Context, *, cell: NumberCellId, last: NumberCellId) -> Iterator[Finding]:
    actual, expected = ctx.values.number(cell), _last(ctx, last)
    if actual is None or expected is None or _close(actual, expected):
        return
    yield ctx.finding.make((ctx.ref(cell),), expected=expected, actual=actual, difference=actual - expected,
                           last_source=_last_source(ctx))


@kind
def previous_balance(ctx: Context, *, cell: NumberCellId, last: NumberCellId, plus: list[NumberCellId],
                     minus: list[NumberCellId]) -> Iterator[Finding]:
    actual, before = ctx.values.number(cell), _last(ctx, last)
    added, removed = ctx.sum(plus), ctx.sum(minus)
    if actual is None or before is None or added is None or removed is None:
        return
    expected = before + added - removed
    if _close(actual, expected):
        return
    cells = tuple(ctx.ref(i) for i in [cell, *plus, *minus])
    yield ctx.finding.make(cells, expected=expected, actual=actual, difference=actual - expected, last=before,
                           added=added, removed=removed, last_source=_last_source(ctx))


@kind
def previous_jump(ctx: Context, *, cell: NumberCellId, last: NumberCellId, factor: float, min_last: Number
                  ) -> Iterator[Finding]:
    actual, before = ctx.values.number(cell), _last(ctx, last)
    if actual is None or before is None or before <= 0 or before < min_last or actual < factor * before:
        return
    yield ctx.finding.make((ctx.ref(cell),), expected=f"< {factor:g} × {before:g}", actual=actual, last=before,
                           times=f"{actual / before:.0f}", last_source=_last_source(ctx))


@kind
def previous_year(ctx: Context, *, cell: CellId) -> Iterator[Finding]:
    year = ctx.values.meta.get(cell.removeprefix("meta."))
    prev = ctx.previous
    if prev is None or prev.year is None or not isinstance(year, int) or year == prev.year + 1:
        return
    yield ctx.finding.make((ctx.ref(cell),), expected=year - 1, actual=prev.year, year=year,
                           last_source=_last_source(ctx))


@kind
def text_quotes(ctx: Context, *, cells: list[TextCellId], patterns: list[str], sums: list[list[NumberCellId]],
                exclude: list[str]) -> Iterator[Finding]:
    # a blank table cell has its own finding (VALUE_BLANK): a quote is not compared with it (precision first)
    totals = [None if any(i in ctx.values.blank for i in ids) else ctx.sum(ids) for ids in sums]
    if not totals or totals[0] is None:
        return
    for cell in cells:
        text = ctx.values.texts.get(cell, "")
        for quote in quotes(text, patterns, exclude):
            if any(t is not None and _close(quote.number, t) for t in totals):
                continue
            ref = ctx.ref(cell)
            refs = (ref, *(ctx.ref(i) for i in sums[0]))
            yield ctx.finding.make(refs, expected=totals[0], actual=quote.number,
                                   difference=quote.number - totals[0], quote=quote.sentence, words=quote.words,
                                   section=ref.row_label or cell)


def run_rules(spec: FormatSpec, values: Values) -> list[Finding]:
    """Every data-driven rule of the format over the values (built-in value/layout rules run while reading; the
    comparisons with last year only with its numbers: ``xltools.checking.previous``)."""
    findings: list[Finding] = []
    for rule in spec.rules:
        if rule.kind == BUILTIN or rule.kind in PREVIOUS_KINDS:
            continue  # raised by the reader and the value parser
        check, ctx = KINDS[rule.kind], Context(spec, values, FindingFactory(rule))
        for params in rule.expanded:
            findings.extend(check(ctx, **params))
    return findings
