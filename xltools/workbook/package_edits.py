"""What openpyxl's own loading and saving lack, done on the workbook package (zip and XML text, no library):
the part sizes and stored cells checked before openpyxl loads a workbook (it reads every part, the check only the
ones it needs), and the cached formula results put back after it saved one.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from xltools.limits import ENV, LimitError, limits


def check_cells(path: Path, data: bytes | None = None) -> None:
    """Refuse (LimitError) a workbook whose sheets store more cells than openpyxl can edit in bounded time and
    memory (openpyxl holds every stored cell, about 0.6 kB and 40 µs each), counted on the sheet XML without parsing
    it (a cell formatted or typed at row 1048576 and every row down to it). ``data``: the file's bytes, when already
    read."""
    bound = limits().edit_cells
    try:
        book = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl says what is wrong
    cells = 0
    with book:
        _check_sizes(path, book.infolist())
        for info in book.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            with book.open(info) as part:
                tail = b""
                for block in iter(lambda: part.read(1 << 20), b""):
                    chunk = tail + block
                    cells += chunk.count(b"<c ") + chunk.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
                    tail = chunk[-2:]
                    if cells > bound:
                        raise LimitError(
                            f"{path.name}：工作表中存储的单元格超过 {bound} 个（表格下方或右侧很远处有内容或格式），"
                            "无法修改。请删除表格下方和右侧多余的行和列（选中后右键“删除”）并保存，再试一次"
                            f"（上限可由 {ENV}=edit_cells=… 调整）",
                            f"{path.name}: the sheets store more than {bound} cells (content or formatting far below "
                            f"or right of the tables); delete the extra rows and columns, save, and retry "
                            f"(limit: {ENV}=edit_cells=…)")


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """openpyxl reads every part of a workbook (the check reads only the parts it needs): refuse (LimitError) one
    whose parts are, by their declared sizes, larger than the limits allow or compressed like a zip bomb. The
    declared sizes bound what is read: Python's zipfile never returns more bytes than a part declares."""
    limit = limits()
    total = sum(info.file_size for info in infos)
    if total > limit.total_bytes:
        raise LimitError(
            f"{path.name}：工作簿解压后共 {total / 1048576:.0f} MB，超过上限 {limit.total_mb:g} MB，无法打开修改；"
            f"这不是正常的年度报告工作簿，请确认文件是否正确（上限可由 {ENV}=total_mb=… 调整）",
            f"{path.name}: {total / 1048576:.0f} MB uncompressed, over the limit of {limit.total_mb:g} MB: not "
            f"opened for editing (limit: {ENV}=total_mb=…)")
    for info in infos:
        big = info.file_size > limit.part_bytes
        bomb = info.file_size > 1_048_576 and info.file_size > limit.ratio * max(1, info.compress_size)
        if big or bomb:
            what = "part_mb" if big else "ratio"
            raise LimitError(
                f"{path.name}：工作簿中的 {info.filename} 解压后太大（{info.file_size / 1048576:.0f} MB）"
                f"或压缩比异常，无法打开修改；这不是正常的年度报告工作簿，请确认文件是否正确"
                f"（上限可由 {ENV}={what}=… 调整）",
                f"{path.name}: {info.filename} is too large uncompressed ({info.file_size / 1048576:.0f} MB) or "
                f"compressed like a zip bomb: not opened for editing (limit: {ENV}={what}=…)")


_FORMULA_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]{1,7})"([^>]*)>(<f[^>]*/>|<f[^>]*>.*?</f>)(?:<v\s*/>|<v></v>)</c>',
                           re.S)


def keep_cached_results(data: bytes, results: dict[str, dict[str, tuple[str, str]]]) -> bytes:
    """Put the cached results back into the sheets openpyxl wrote (it writes ``<c r="J5"><f>…</f><v/></c>``,
    dropping them); ``results`` maps a sheet part to {address: (type, text)}."""
    if not results:
        return data
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            cells = results.get(info.filename)
            if cells:
                def put(m: re.Match[str], cells: dict[str, tuple[str, str]] = cells) -> str:
                    found = cells.get(m.group(1))
                    if found is None or ' t="' in m.group(2):
                        return m.group(0)
                    kind, text = found
                    attr = "" if kind == "n" else f' t="{kind}"'
                    return f'<c r="{m.group(1)}"{m.group(2)}{attr}>{m.group(3)}<v>{text}</v></c>'

                part = _FORMULA_CELL.sub(put, part.decode("utf-8")).encode("utf-8")
            target.writestr(info, part)
    return out.getvalue()
