"""Hypothesis strategies for fuzzing xltools in-process (tests/test_fuzz.py, briefly; benchmarks/fuzz.py, long):
mutated workbook parts, random values in input cells, random sheet XML attributes, random JSON report documents,
random text and HTML for ``import``. Each strategy yields the bytes of one file to write and read."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.field.zipparts import SHEETS, clean_parts, number_cell, set_cell, text_cell, write_parts
from tests.helpers import clean_document

PARTS = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "docProps/custom.xml",
         "[Content_Types].xml", "xl/styles.xml", *SHEETS.values()]
INPUT_CELLS = [("表三", f"{c}{r}") for c in "DEFGHIJ" for r in range(5, 30)] + \
              [("表二", ref) for ref in ("B4", "C4", "D4", "B8", "B15")] + \
              [("封面", ref) for ref in ("B4", "B5", "B6", "B7", "B8")] + \
              [("正文", ref) for ref in ("A3", "A27", "A40")]
_CLEAN = clean_parts()
_CLEAN_DOC = json.dumps(clean_document(), ensure_ascii=False)
CONTROL = "".join(map(chr, [*range(0, 32), 127, 0x85, 0x2028, 0xFFFE, 0xFEFF]))


def _bytes_edit(data: bytes, draw: Any) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "splice"]))
    n = len(data)
    at = draw(st.integers(0, max(n - 1, 0)))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:] if n else data
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        inserted: bytes = draw(st.binary(min_size=1, max_size=64))
        return data[:at] + inserted + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 256)):]
    piece: bytes = draw(st.sampled_from([b"<", b">", b"</", b"/>", b'"', b"&", b"&amp;", b"<!DOCTYPE x>", b"]]>",
                                         b"\x00", b"<c r=\"A1\">", b"</row>", b"<row r=\"0\">", b"\xff\xfe", b"&#0;",
                                         b"&#x1F;"]))
    return data[:at] + piece + data[at:]


@st.composite
def mutated_workbook(draw: Any) -> bytes:
    """The clean example with one to three of its XML parts damaged by byte flips, cuts, insertions."""
    parts = dict(_CLEAN)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(PARTS))
        parts[name] = _bytes_edit(parts[name], draw)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        del parts[draw(st.sampled_from(PARTS))]
    data = write_parts(parts)
    if draw(st.integers(0, 9)) == 0:  # damage the package itself too
        data = _bytes_edit(data, draw)
    return data


cell_text = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(list(CONTROL))), max_size=300)
HOSTILE_NUMBERS = st.sampled_from(["NaN", "INF", "-INF", "1.8e308", "1e-400", "0x10", "1_000", "", " 12 ", "１２",
                                   "1,234", "12件", "9" * 5000, "9" * 31, "-0", "+5", "1e5", ".5", "-1", "1.5",
                                   str(10 ** 20), "4e15", "9007199254740993"])
number_text = st.one_of(HOSTILE_NUMBERS, HOSTILE_NUMBERS, st.integers(-(10 ** 30), 10 ** 30).map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr))


@st.composite
def cell_values_workbook(draw: Any) -> bytes:
    """The clean example with random values of every type typed into input cells."""
    parts = dict(_CLEAN)
    for _ in range(draw(st.integers(1, 6))):
        sheet, ref = draw(st.sampled_from(INPUT_CELLS))
        xml = parts[SHEETS[sheet]]
        kind = draw(st.sampled_from(["number", "number", "text", "text", "bool", "error", "shared", "formula"]))
        try:
            if kind == "number":
                xml = number_cell(xml, ref, draw(number_text).replace("<", "").replace("&", ""))
            elif kind == "text":
                xml = text_cell(xml, ref, draw(st.one_of(number_text, cell_text)))
            elif kind == "bool":
                xml = set_cell(xml, ref, f'<c r="{ref}" t="b"><v>{draw(st.sampled_from(["0", "1", "2", "x"]))}</v></c>')
            elif kind == "error":
                err = draw(st.sampled_from(["#DIV/0!", "#N/A", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]))
                xml = set_cell(xml, ref, f'<c r="{ref}" t="e"><v>{err}</v></c>')
            elif kind == "shared":
                xml = set_cell(xml, ref, f'<c r="{ref}" t="s"><v>{draw(st.integers(-5, 200))}</v></c>')
            else:
                cached = draw(st.one_of(st.none(), number_text.map(lambda t: t.replace("<", ""))))
                value = f"<v>{cached.replace('&', '')}</v>" if cached is not None else ""
                xml = set_cell(xml, ref, f'<c r="{ref}"><f>{draw(st.sampled_from(["SUM(D5:I5)", "1/0", "A1"]))}</f>'
                                         f'{value}</c>')
        except KeyError:
            continue  # a cell the example does not write
        parts[SHEETS[sheet]] = xml
    return write_parts(parts)


ATTRIBUTES = ["r", "s", "t", "spans", "ht", "hidden", "customHeight", "outlineLevel", "ref", "min", "max", "width",
              "count", "uniqueCount", "xml:space"]
ATTRIBUTE_VALUES = st.one_of(st.sampled_from(["", "0", "-1", "1048577", "XFD1048577", "A0", "1:16385", "99999999999",
                                              "1e309", "NaN", "s", "str", "inlineStr", "n", "e", "b", "d", "x"]),
                             st.text(alphabet="A1:-.e", max_size=12))


@st.composite
def attribute_workbook(draw: Any) -> bytes:
    """The clean example with random attributes on the elements of a sheet (rows, cells, cols, merges, dimension)."""
    import re

    parts = dict(_CLEAN)
    name = draw(st.sampled_from(list(SHEETS.values())))
    xml = parts[name]
    tags = [m.start() + 1 for m in re.finditer(rb"<(?:row|c|col|mergeCell|dimension|mergeCells|sheetData)[ >/]", xml)]
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.sampled_from(tags))
        tag = re.match(rb"[A-Za-z]+", xml[at:])
        end = at + (len(tag.group(0)) if tag else 0)
        attr = draw(st.sampled_from(ATTRIBUTES))
        value = draw(ATTRIBUTE_VALUES).replace('"', "")
        # the new attribute goes first; where the element has it already, the duplicate makes the XML malformed,
        # which is a case too
        xml = xml[:end] + f' {attr}="{value}"'.encode() + xml[end:]
    parts[name] = xml
    return write_parts(parts)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(cell_text, children, max_size=4))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10 ** 40), 10 ** 40), st.floats(), cell_text), _containers,
    max_leaves=20)


@st.composite
def json_document(draw: Any) -> bytes:
    """A report document for ``new --from``: the clean one with random keys and values, or random JSON, or bytes."""
    kind = draw(st.sampled_from(["edit", "random", "bytes", "cut"]))
    if kind == "random":
        return json.dumps(draw(json_values), ensure_ascii=draw(st.booleans())).encode()
    if kind == "bytes":
        garbage: bytes = draw(st.binary(max_size=512))
        return garbage
    if kind == "cut":
        return _CLEAN_DOC.encode()[: draw(st.integers(0, len(_CLEAN_DOC.encode())))]
    doc = json.loads(_CLEAN_DOC)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["values", "meta", "texts", "top"]))
        target = doc if where == "top" or not isinstance(doc.get(where), dict) else doc[where]
        key = draw(st.one_of(st.sampled_from(sorted(target) or ["x"]), cell_text))
        target[key] = draw(json_values)
    text = json.dumps(doc, ensure_ascii=False)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


FRAGMENTS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
             "（一）", "自然人", "总计", "本年新收", "2021年",
             "鹤岗市科学技术局", "- 4 -", "/", "0", "12", "21710000218", "\n", "  ", "\t", "\f"]
HTML_TAGS = ["<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<td rowspan=3>", "<td colspan=999999>",
             '<td rowspan="-1">', "<th colspan=x>", "<p>", "</p>", "<br>", "<script>", "</script>", "<style>",
             "<!--", "-->", "<![CDATA[", "&nbsp;", "&#0;", "&#x110000;", "&bogus;", "<div>", "</div>",
             "<meta charset=gbk>"]


@st.composite
def import_text(draw: Any) -> tuple[str, bytes]:
    """A .txt or .html source made of report fragments, table tags and random text; returns (suffix, bytes)."""
    suffix = draw(st.sampled_from([".txt", ".html"]))
    pieces = FRAGMENTS + (HTML_TAGS if suffix == ".html" else [])
    text = "".join(draw(st.lists(st.one_of(st.sampled_from(pieces), cell_text), max_size=60)))
    encoding = draw(st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
    return suffix, text.encode(encoding, "ignore")
