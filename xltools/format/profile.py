"""Province profiles (地方规则配置): data over a national format that changes a rule's severity, switches rules off,
adds required items to section 六 (with the keywords that satisfy them) and adds soft rules of the existing kinds.

A profile is a TOML file (read with ``tomllib``)::

    name = "example"                    # how it is named: --profile example, the workbook's property
    title = "示例省（演示用）"
    format = "gov-disclosure-2021"      # the national format it refines (default: the default format)
    off = ["S_REGULATIONS_LEVEL"]       # rules switched off
    [severity]                          # rule id = "error" | "warning" | "info"
    S1_LENGTH = "info"
    [[required_items]]                  # section 六 must mention one of the keywords
    id = "P_S6_NPC_CPPCC"
    title = "人大代表建议和政协提案办理结果公开情况"
    keywords = ["人大代表建议", "政协提案"]
    [[rules]]                           # a soft rule of an existing kind, keys as in the format's [[rules]],
    ...                                 # params and for_each written out (cell ids, no selectors)

Shipped profiles live in ``xltools/format/profiles/``; ``--profile`` takes one of their names or a file. The
profile is validated completely when it is loaded (``load_profile``): an unknown key, rule id, severity or cell
stops with one ``FormatError`` (exit code 2) naming the file, with "did you mean". ``apply`` gives the format spec
with the profile's rules; ``adjust`` applies severities and switches to findings raised before the profile was
known (while reading cells).
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from xltools.format.errors import FormatError
from xltools.format.findings import SEVERITIES, Finding
from xltools.format.rulekinds import BUILTIN, RuleProblem, Scope, check_rule, did_you_mean
from xltools.format.spec import DEFAULT_FORMAT, FormatSpec, RuleSpec, available_formats, load_spec

PROFILES_DIR = Path(__file__).parent / "profiles"
PATH_ENV = "XLTOOLS_PROFILE_PATH"  # folders (os.pathsep-separated) of more profiles, found by name
PROFILE_PROPERTY = "xltools.profile"  # the custom document property naming a workbook's profile
KEYS = ("name", "title", "format", "description", "severity", "off", "required_items", "rules")
ITEM_KEYS = ("id", "title", "keywords", "severity", "source")
RULE_KEYS = ("id", "severity", "kind", "summary", "message", "fix", "source", "params", "for_each")
ITEM_CELL = "S6.text"


class Profile(NamedTuple):
    """A validated profile: what it changes, and the rules it adds (as RuleSpecs of its format)."""

    name: str
    title: str
    format_id: str
    source: str
    description: str = ""
    severity: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    off: tuple[str, ...] = ()
    added: tuple[RuleSpec, ...] = ()

    @property
    def label(self) -> str:
        """How outputs name it: 示例省（演示用）〔example〕."""
        return f"{self.title}〔{self.name}〕" if self.title and self.title != self.name else self.name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "format": self.format_id,
                "severity": dict(self.severity), "off": list(self.off), "added": [r.id for r in self.added]}

    def apply(self, spec: FormatSpec) -> FormatSpec:
        """``spec`` as the profile has it: severities changed, rules switched off (a builtin rule stays known, its
        findings are dropped by ``adjust``), the added rules last."""
        if spec.id != self.format_id:
            return spec
        rules = tuple(r._replace(severity=self.severity.get(r.id, r.severity)) for r in spec.rules
                      if r.id not in self.off or r.kind == BUILTIN) + self.added
        return spec._replace(rules=rules, rules_by_id={r.id: r for r in rules})

    def adjust(self, findings: Sequence[Finding]) -> list[Finding]:
        """Findings without those of switched-off rules, with the profile's severities."""
        return [f._replace(severity=self.severity.get(f.rule, f.severity)) for f in findings
                if f.rule not in self.off]


def _fail(source: str, zh: str, en: str) -> FormatError:
    return FormatError(f"地方规则配置 {source} 有误：{zh}", f"profile {source}: {en}")


def _folders() -> list[Path]:
    return [PROFILES_DIR, *(Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p)]


def shipped_profiles() -> list[str]:
    """Names of the profiles that ship with xltools."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def available_profiles() -> list[str]:
    """Names of the shipped profiles and of those in the XLTOOLS_PROFILE_PATH folders."""
    return sorted({p.stem for folder in _folders() if folder.is_dir() for p in folder.glob("*.toml")})


def profile_file(name_or_file: str) -> Path | None:
    """The file of a profile's name (shipped, else the first XLTOOLS_PROFILE_PATH folder that has it), or the
    file given; None when there is neither."""
    if name_or_file.lower().endswith(".toml") or os.sep in name_or_file or "/" in name_or_file:
        path = Path(name_or_file)
        return path if path.is_file() else None
    if not name_or_file or name_or_file.startswith("."):
        return None
    return next((p for folder in _folders() if (p := folder / f"{name_or_file}.toml").is_file()), None)


def load_profile(name_or_file: str) -> Profile:
    """The profile named (shipped) or in a file, validated. Raises FormatError (exit code 2)."""
    path = profile_file(name_or_file)
    if path is None:
        if name_or_file.lower().endswith(".toml"):
            raise FormatError(f"找不到地方规则配置文件：{name_or_file}", f"no profile file {name_or_file}")
        zh, en = did_you_mean(name_or_file, available_profiles())
        shipped = "、".join(available_profiles()) or "无"
        raise FormatError(f"没有名为“{name_or_file}”的地方规则配置{zh}：可用的有 {shipped}，或给出 .toml 文件",
                          f"no profile named {name_or_file!r}{en}; shipped: {shipped}, or give a .toml file")
    import tomllib  # (only when a profile is used: a plain check starts without it)

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"不是有效的 TOML（{exc}）", f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise FormatError(f"无法读取地方规则配置 {path}：{exc.strerror or exc}",
                          f"cannot read profile {path}: {exc.strerror or exc}") from None
    return parse_profile(data, str(path), path.stem)


def _unknown(source: str, where: str, key: str, choices: Sequence[str]) -> FormatError:
    zh, en = did_you_mean(key, choices)
    return _fail(source, f"{where}未知的键“{key}”{zh}", f"{where}unknown key {key!r}{en}")


def _rule_id(spec: FormatSpec, source: str, where: str, rule_id: Any) -> str:
    if not isinstance(rule_id, str) or rule_id not in spec.rules_by_id:
        zh, en = did_you_mean(str(rule_id), spec.rules_by_id)
        raise _fail(source, f"{where}：没有规则“{rule_id}”{zh}", f"{where}: no rule {rule_id!r}{en}")
    return rule_id


def _severity(source: str, where: str, value: Any) -> str:
    if value not in SEVERITIES:
        zh, en = did_you_mean(str(value), SEVERITIES)
        raise _fail(source, f"{where}：未知的严重程度“{value}”{zh}（error、warning 或 info）",
                    f"{where}: unknown severity {value!r}{en} (error, warning or info)")
    return str(value)


def _item_rule(item: Any, source: str, n: int) -> dict[str, Any]:
    """A required item of section 六 as a ``text_contains`` rule."""
    where = f"required_items 第 {n} 项"
    if not isinstance(item, dict):
        raise _fail(source, f"{where}应为表", f"required_items[{n}] must be a table")
    for key in item:
        if key not in ITEM_KEYS:
            raise _unknown(source, f"{where}：", key, ITEM_KEYS)
    for key in ("id", "title", "keywords"):
        if key not in item:
            raise _fail(source, f"{where}：缺少“{key}”", f"required_items[{n}]: missing {key!r}")
    keywords, title = item["keywords"], str(item["title"])
    if not isinstance(keywords, list) or not keywords or not all(isinstance(k, str) and k for k in keywords):
        raise _fail(source, f"{where}：keywords 应为非空的文字列表", f"required_items[{n}]: keywords must be a "
                    "non-empty list of strings")
    words = "、".join(f"“{k}”" for k in keywords)
    return {
        "id": item["id"], "severity": item.get("severity", "warning"), "kind": "text_contains",
        "params": {"cell": ITEM_CELL, "any": keywords},
        "summary": {"zh": f"第六部分须报告{title}（地方要求）", "en": f"Section 六 must report: {title} (province)"},
        "message": {"zh": f"六、其他需要报告的事项：没有报告{title}（没有出现{words}）",
                    "en": f"section 六 does not report {title} (none of {words})"},
        "fix": {"zh": f"在第六部分写明{title}。", "en": f"Report {title} in section 六."},
        "source": str(item.get("source", "地方规则配置")),
    }


def _rule_spec(rule: dict[str, Any], spec: FormatSpec, source: str, seen: set[str]) -> RuleSpec:
    rid = rule.get("id")
    if not isinstance(rid, str) or not rid:
        raise _fail(source, f"规则缺少 id：{rule!r:.80}", f"a rule without an id: {rule!r:.80}")
    where = f"规则 {rid}"
    if rid in spec.rules_by_id or rid in seen:
        raise _fail(source, f"{where}：规则 id 与已有规则重复", f"rule {rid}: duplicate rule id")
    seen.add(rid)
    for key in rule:
        if key not in RULE_KEYS:
            raise _unknown(source, f"{where}：", key, RULE_KEYS)
    for key in ("severity", "kind", "summary", "message", "fix", "source"):
        if key not in rule:
            raise _fail(source, f"{where}：缺少“{key}”", f"rule {rid}: missing {key!r}")
    _severity(source, where, rule["severity"])
    for key in ("summary", "message", "fix"):
        texts = rule[key]
        if not isinstance(texts, dict) or not all(isinstance(texts.get(lang), str) for lang in ("zh", "en")):
            raise _fail(source, f"{where}：“{key}”应有 zh 和 en 两种文字", f"rule {rid}: {key!r} needs zh and en")
    if rule["kind"] == BUILTIN:
        raise _fail(source, f"{where}：地方规则不能是 builtin", f"rule {rid}: a profile rule cannot be builtin")
    params, for_each = rule.get("params", {}), rule.get("for_each", {})
    scope = Scope({c.id: c.type for c in spec.cells}, spec.levels)
    try:
        expanded = check_rule(str(rule["kind"]), params, for_each, scope)
    except RuleProblem as problem:
        raise _fail(source, f"{where}：{problem.zh}", f"rule {rid}: {problem.en}") from None
    return RuleSpec(id=rid, severity=str(rule["severity"]), kind=str(rule["kind"]), summary=dict(rule["summary"]),
                    message=dict(rule["message"]), fix=dict(rule["fix"]), source=str(rule["source"]),
                    params=dict(params), for_each=dict(for_each), expanded=tuple(expanded))


def parse_profile(data: dict[str, Any], source: str, stem: str = "") -> Profile:
    """A profile from its parsed TOML, validated against its format. Raises FormatError at the first problem."""
    for key in data:
        if key not in KEYS:
            raise _unknown(source, "", key, KEYS)
    format_id = str(data.get("format", DEFAULT_FORMAT))
    if format_id not in available_formats():
        zh, en = did_you_mean(format_id, available_formats())
        raise _fail(source, f"format：没有格式“{format_id}”{zh}", f"format: no format {format_id!r}{en}")
    spec = load_spec(format_id)
    severity_table = data.get("severity", {})
    if not isinstance(severity_table, dict):
        raise _fail(source, "severity 应为表（规则编号 = 严重程度）", "severity must be a table (rule id = severity)")
    severity = {_rule_id(spec, source, "severity", rid): _severity(source, f"severity.{rid}", value)
                for rid, value in severity_table.items()}
    off_list = data.get("off", [])
    if not isinstance(off_list, list):
        raise _fail(source, "off 应为规则编号的列表", "off must be a list of rule ids")
    off = tuple(_rule_id(spec, source, "off", rid) for rid in off_list)
    both = sorted(set(off) & set(severity))
    if both:
        raise _fail(source, f"规则 {both[0]} 既在 off 中关闭，又在 severity 中改了严重程度",
                    f"rule {both[0]} is both switched off and given a severity")
    items, rules = data.get("required_items", []), data.get("rules", [])
    if not isinstance(items, list) or not isinstance(rules, list):
        raise _fail(source, "required_items 和 rules 应为表的数组（[[required_items]]、[[rules]]）",
                    "required_items and rules must be arrays of tables")
    seen: set[str] = set()
    added = [_rule_spec(_item_rule(item, source, n), spec, source, seen) for n, item in enumerate(items, 1)]
    for rule in rules:
        if not isinstance(rule, dict):
            raise _fail(source, "rules 的每一项应为表", "every entry of rules must be a table")
        added.append(_rule_spec(rule, spec, source, seen))
    name = data.get("name", stem)
    if not isinstance(name, str) or not name.strip():
        raise _fail(source, "缺少 name（配置的名称）", "missing name")
    return Profile(name=name.strip(), title=str(data.get("title", name)).strip(), format_id=format_id,
                   source=source, description=str(data.get("description", "")), severity=severity, off=off,
                   added=tuple(added))
