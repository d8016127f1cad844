"""The rule kinds a format spec may name, declared as typed signatures (the schema of a rule's ``params``), the
``for_each`` expansion, and the check of one rule against its kind.

A kind is declared here by a stub whose keyword-only parameters are the rule's parameters; its implementation lives
in ``xltools.checking.rules`` under the same name, with the same keyword parameters and types after a context
argument (``implementation_problem`` holds them together). So a spec is validated when it loads, without the format
layer importing the checks. Parameter types: ``CellId`` (any cell of the format), ``NumberCellId`` (a count or amount
cell), ``TextCellId`` (a text cell), ``Level`` (one of the format's unit levels), ``str``, ``int``, ``float``
(an int will do), ``Number``, ``list[...]`` and ``dict[..., ...]`` of those.
"""

import itertools
import re
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, NewType, get_args, get_origin, get_type_hints

CellId = NewType("CellId", str)
NumberCellId = NewType("NumberCellId", str)
TextCellId = NewType("TextCellId", str)
Level = NewType("Level", str)
Number = int | float

SEVERITIES = ("error", "warning", "info")
BUILTIN = "builtin"  # findings raised while reading cells: no parameters, no implementation here
BUILTIN_TEXT = "raised while reading cells"
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08  # code object flags (inspect.CO_VARARGS, inspect.CO_VARKEYWORDS)


class Kind(NamedTuple):
    """A declared rule kind: its name, one line for the catalogue and its parameters with their types."""

    name: str
    text: str
    params: dict[str, Any]


KINDS: dict[str, Kind] = {}


class RuleProblem(Exception):
    """What is wrong with one rule, in Chinese and English (the loader adds the file and the rule id)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def declare(text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declare the kind named like the decorated stub; its keyword-only parameters are the rule's parameters."""

    def register(stub: Callable[..., None]) -> Callable[..., None]:
        hints = get_type_hints(stub)
        hints.pop("return", None)
        KINDS[stub.__name__] = Kind(stub.__name__, text, hints)
        return stub

    return register


@declare("sum(left) = sum(right)")
def sum_equals(*, left: list[NumberCellId], right: list[NumberCellId]) -> None:
    """sum(left) must equal sum(right); a single total cell on the left is a total the workbook can fill."""


@declare("cell ≥ other cell")
def not_less_than(*, cell: NumberCellId, min: NumberCellId) -> None:
    """The cell must not be less than the ``min`` cell."""


@declare("text not empty")
def text_required(*, cell: TextCellId) -> None:
    """The text cell must not be empty."""


@declare("text mentions")
def text_contains(*, cell: TextCellId, any: list[str]) -> None:
    """The text must mention one of the words."""


@declare("text length ≤ max")
def text_max_length(*, cell: TextCellId, max: int) -> None:
    """The text must not be longer than ``max`` characters (whitespace not counted)."""


@declare("share of parts ≤ max")
def share_at_most(*, parts: list[NumberCellId], whole: NumberCellId, max_share: float, min_whole: Number) -> None:
    """sum(parts) / whole must not exceed ``max_share`` once the whole reaches ``min_whole``."""


@declare("value ≤ limit for the unit level")
def at_most_by_level(*, cell: NumberCellId, limits: dict[Level, Number], default: Number) -> None:
    """The value must not exceed the limit of the report's unit level (``default`` for other levels)."""


@declare("value = 0 for these levels")
def zero_for_levels(*, cell: NumberCellId, levels: list[Level]) -> None:
    """The value must be 0 when the report's unit level is one of ``levels``."""


# Kinds that compare a report with last year's report of the same unit: they run only when last year's numbers
# are given (``xltools.checking.previous``), never in a plain check.
PREVIOUS_KINDS = ("previous_equals", "previous_balance", "previous_jump", "previous_year")


@declare("cell = last year's cell")
def previous_equals(*, cell: NumberCellId, last: NumberCellId) -> None:
    """This year's ``cell`` must equal the ``last`` cell of last year's report."""


@declare("cell = last year's cell + plus − minus")
def previous_balance(*, cell: NumberCellId, last: NumberCellId, plus: list[NumberCellId],
                     minus: list[NumberCellId]) -> None:
    """This year's ``cell`` must equal last year's ``last`` cell plus this year's ``plus`` minus ``minus``."""


@declare("cell < factor × last year's cell")
def previous_jump(*, cell: NumberCellId, last: NumberCellId, factor: float, min_last: Number) -> None:
    """This year's ``cell`` should stay below ``factor`` times last year's ``last`` (when that is ≥ ``min_last``)."""


@declare("year = last year's year + 1")
def previous_year(*, cell: CellId) -> None:
    """The report year (``cell``) must follow the year of last year's report."""


@declare("numbers quoted in the text = the tables")
def text_quotes(*, cells: list[TextCellId], patterns: list[str], sums: list[list[NumberCellId]],
                exclude: list[str]) -> None:
    """A number the text quotes in one of the ``patterns`` (regular expressions with a group ``n``) must equal the
    sum of one of ``sums`` (the first is the one reported); a clause holding one of the ``exclude`` words (another
    scope: 市政府办公室, 本级, 其中 …) is never compared."""


def implementation_problem(fn: Callable[..., Any]) -> str | None:
    """Why ``fn`` cannot implement the kind declared under its name (None: it can). An implementation takes a
    context first, then exactly the declared parameters, keyword-only and with the declared types."""
    kind = KINDS.get(fn.__name__)
    if kind is None:
        return f"no rule kind {fn.__name__!r} is declared in xltools.format.rulekinds"
    code = fn.__code__  # read directly: importing inspect would cost the check's start-up
    if code.co_argcount != 1 or code.co_flags & (CO_VARARGS | CO_VARKEYWORDS):
        return f"{fn.__name__}: the context must be the only positional parameter, with no *args or **kwargs"
    rest = code.co_varnames[1 : 1 + code.co_kwonlyargcount]
    hints = get_type_hints(fn)
    got = {name: hints.get(name) for name in rest}
    if got != kind.params:
        return f"{fn.__name__}: parameters {got} differ from the declaration {kind.params}"
    return None


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(value: Any, subst: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: subst[m.group(1)], value) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, subst) for v in value]
    return value


def expand(params: dict[str, Any], for_each: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The parameters once per combination of the ``for_each`` variables, with ``{var}`` filled in. Raises
    RuleProblem for a placeholder that is no ``for_each`` variable."""
    names = list(for_each)
    out = []
    for combo in itertools.product(*(for_each[n] for n in names)):
        subst = dict(zip(names, combo, strict=True))
        try:
            out.append({k: _fill(v, subst) for k, v in params.items()})
        except KeyError as exc:
            raise RuleProblem(f"占位符 {{{exc.args[0]}}} 不是 for_each 的变量",
                              f"placeholder {{{exc.args[0]}}} is not a for_each variable") from None
    return out


def did_you_mean(word: str, choices: Any) -> tuple[str, str]:
    """("（是否应为“x”？）", " (did you mean 'x'?)") for the closest choice, or empty strings."""
    import difflib  # only when a spec is broken

    close = difflib.get_close_matches(word, list(choices), n=1)
    return (f"（是否应为“{close[0]}”？）", f" (did you mean {close[0]!r}?)") if close else ("", "")


class Scope(NamedTuple):
    """What a parameter value is checked against: cell id -> cell type, and the format's unit levels."""

    cells: Mapping[str, str]
    levels: tuple[str, ...]


def _cell_problem(value: str, tp: Any, scope: Scope) -> tuple[str, str] | None:
    if value not in scope.cells:
        zh, en = did_you_mean(value, scope.cells)
        return f"单元格“{value}”不存在{zh}", f"no cell {value!r}{en}"
    want = {NumberCellId: ("count", "amount"), TextCellId: ("text",)}.get(tp)
    if want and scope.cells[value] not in want:
        return (f"单元格“{value}”是 {scope.cells[value]}，应为 {'/'.join(want)}",
                f"cell {value!r} is {scope.cells[value]}, not {'/'.join(want)}")
    return None


def type_problem(value: Any, tp: Any, scope: Scope) -> tuple[str, str] | None:
    """Why ``value`` is not of the parameter type ``tp`` (None: it is)."""
    if tp in (CellId, NumberCellId, TextCellId, Level):
        if not isinstance(value, str):
            return f"应为文字，实际是 {value!r}", f"expected a string, got {value!r}"
        if tp is Level:
            if value in scope.levels:
                return None
            zh, en = did_you_mean(value, scope.levels)
            return f"单位层级“{value}”不存在{zh}", f"no unit level {value!r}{en}"
        return _cell_problem(value, tp, scope)
    origin = get_origin(tp)
    if origin in (types.UnionType,):
        if any(type_problem(value, arm, scope) is None for arm in get_args(tp)):
            return None
        return f"类型应为 {tp}，实际是 {value!r}", f"expected {tp}, got {value!r}"
    if origin is list:
        if not isinstance(value, list):
            return f"应为列表，实际是 {value!r}", f"expected a list, got {value!r}"
        (item,) = get_args(tp)
        return next((p for v in value if (p := type_problem(v, item, scope))), None)
    if origin is dict:
        if not isinstance(value, dict):
            return f"应为表，实际是 {value!r}", f"expected a table, got {value!r}"
        key_t, value_t = get_args(tp)
        return next((p for k, v in value.items()
                     if (p := type_problem(k, key_t, scope) or type_problem(v, value_t, scope))), None)
    ok = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}[tp]
    if isinstance(value, ok) and (tp is bool or not isinstance(value, bool)):
        return None
    return f"类型应为 {tp.__name__}，实际是 {value!r}", f"expected {tp.__name__}, got {value!r}"


def check_rule(kind: str, params: dict[str, Any], for_each: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    """The rule's expanded parameters, after checking the kind, the parameter names and (per expansion) types.
    Raises RuleProblem at the first problem."""
    if kind == BUILTIN:
        if params or for_each:
            raise RuleProblem("builtin 规则不能有 params 或 for_each", "a builtin rule takes no params or for_each")
        return []
    declared = KINDS.get(kind)
    if declared is None:
        zh, en = did_you_mean(kind, [*KINDS, BUILTIN])
        raise RuleProblem(f"未知的规则类型“{kind}”{zh}", f"unknown kind {kind!r}{en}")
    for name in params:
        if name not in declared.params:
            zh, en = did_you_mean(name, declared.params)
            raise RuleProblem(f"{kind} 没有参数“{name}”{zh}", f"{kind} has no parameter {name!r}{en}")
    missing = [name for name in declared.params if name not in params]
    if missing:
        raise RuleProblem(f"缺少参数“{missing[0]}”", f"missing parameter {missing[0]!r}")
    for var, choices in for_each.items():
        if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
            raise RuleProblem(f"for_each 的“{var}”应为非空的文字列表", f"for_each {var!r} must be a non-empty list "
                              "of strings")
    expanded = expand(params, for_each)
    for p in expanded:
        for name, tp in declared.params.items():
            problem = type_problem(p[name], tp, scope)
            if problem:
                raise RuleProblem(f"参数“{name}”：{problem[0]}", f"parameter {name!r}: {problem[1]}")
    return expanded
