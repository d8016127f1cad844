"""The rule kinds, registered by name. A rule in the format spec names its kind and gives its parameters;
``run_rules`` expands ``for_each`` and calls the kind. Every kind is a pure function of the values."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from xltools.format.findings import CellRef, Finding, FindingFactory, Number
from xltools.format.spec import FormatSpec, RuleSpec
from xltools.reading.values import Values

Check = Callable[[FormatSpec, FindingFactory, Values, dict[str, Any]], Iterator[Finding]]
KINDS: dict[str, Check] = {}


def kind(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        KINDS[name] = fn
        return fn
    return register


def _ref(spec: FormatSpec, values: Values, cell_id: str) -> CellRef:
    return CellRef.of(spec.cell(cell_id), values.addresses.get(cell_id))


def _sum(values: Values, ids: list[str]) -> Number | None:
    nums = [values.number(i) for i in ids]
    if any(n is None for n in nums):
        return None  # an unusable cell: its own finding says why; do not pile on
    return sum(n for n in nums if n is not None)


def _close(a: Number, b: Number) -> bool:
    return abs(a - b) < 1e-9


@kind("sum_equals")
def sum_equals(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    """sum(left) must equal sum(right); the finding points at left[0] first."""
    actual, expected = _sum(values, p["left"]), _sum(values, p["right"])
    if actual is None or expected is None or _close(actual, expected):
        return
    cells = tuple(_ref(spec, values, i) for i in [*p["left"], *p["right"]])
    yield f.make(cells, expected=expected, actual=actual, difference=actual - expected)


@kind("not_less_than")
def not_less_than(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    actual, minimum = values.number(p["cell"]), values.number(p["min"])
    if actual is None or minimum is None or actual >= minimum:
        return
    yield f.make((_ref(spec, values, p["cell"]), _ref(spec, values, p["min"])), expected=minimum, actual=actual,
                 difference=actual - minimum)


def _text_cell(spec: FormatSpec, values: Values, cell_id: str) -> tuple[CellRef, str]:
    cell = spec.cell(cell_id)
    return _ref(spec, values, cell_id), values.texts.get(cell.section or "", "")


@kind("text_required")
def text_required(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    ref, text = _text_cell(spec, values, p["cell"])
    if not text.strip():
        yield f.make((ref,), expected="（非空）", actual="（空）")


@kind("text_contains")
def text_contains(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    ref, text = _text_cell(spec, values, p["cell"])
    if not any(word in text for word in p["any"]):
        expected = "提到“" + "”或“".join(p["any"]) + "”"
        yield f.make((ref,), expected=expected, actual="（空）" if not text else "（未提到）")


@kind("text_max_length")
def text_max_length(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    ref, text = _text_cell(spec, values, p["cell"])
    length = sum(1 for ch in text if not ch.isspace())
    if length > p["max"]:
        yield f.make((ref,), expected=p["max"], actual=length, difference=length - p["max"])


@kind("share_at_most")
def share_at_most(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    part, whole = _sum(values, p["parts"]), values.number(p["whole"])
    if part is None or whole is None or whole < p["min_whole"] or part / whole <= p["max_share"]:
        return
    cells = tuple(_ref(spec, values, i) for i in [*p["parts"], p["whole"]])
    yield f.make(cells, expected=f"≤ {p['max_share']:.0%}", actual=f"{part / whole:.0%}", part=part, whole=whole,
                 share=f"{part / whole:.0%}", limit=f"{p['max_share']:.0%}")


@kind("at_most_by_level")
def at_most_by_level(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    value = values.number(p["cell"])
    level = values.meta.get("level", "")
    limit = p["limits"].get(level, p["default"])
    if value is not None and value > limit:
        yield f.make((_ref(spec, values, p["cell"]),), expected=limit, actual=value, level=level or "单位")


@kind("zero_for_levels")
def zero_for_levels(spec: FormatSpec, f: FindingFactory, values: Values, p: dict[str, Any]) -> Iterator[Finding]:
    value = values.number(p["cell"])
    level = values.meta.get("level")
    if value and level in p["levels"]:
        yield f.make((_ref(spec, values, p["cell"]),), expected=0, actual=value, level=level)


def expand(rule: RuleSpec) -> Iterator[dict[str, Any]]:
    """The rule's parameters once per combination of its ``for_each`` variables, with {var} filled in."""
    names = list(rule.for_each)
    for combo in itertools.product(*(rule.for_each[n] for n in names)):
        subst = dict(zip(names, combo, strict=True))
        yield {k: _fill(v, subst) for k, v in rule.params.items()}


_EXPANDED: dict[tuple[str, str], list[dict[str, Any]]] = {}


def _expanded(spec: FormatSpec, rule: RuleSpec) -> list[dict[str, Any]]:
    """``expand`` once per process: a batch of thousands of workbooks runs the same rules."""
    key = (spec.id, rule.id)
    if key not in _EXPANDED:
        _EXPANDED[key] = list(expand(rule))
    return _EXPANDED[key]


def _fill(value: Any, subst: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**subst) if subst and "{" in value else value
    if isinstance(value, list):
        return [_fill(v, subst) for v in value]
    return value


def run_rules(spec: FormatSpec, values: Values) -> list[Finding]:
    """Every data-driven rule of the format over the values (built-in value/layout rules run while reading)."""
    findings: list[Finding] = []
    for rule in spec.rules:
        check = KINDS.get(rule.kind)
        if check is None:
            continue  # "builtin": raised by the reader and the value parser
        factory = FindingFactory(rule)
        for params in _expanded(spec, rule):
            findings.extend(check(spec, factory, values, params))
    return findings
