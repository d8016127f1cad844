"""Uploads: refuse what is not a report file, store the rest for good under a generated name, check it, give it
its version; and the annotated and filled copies of an upload, made on demand.

- **Limits**: at most ``settings.UPLOAD_MB``; the suffix must be one the portal takes and the content must match
  it (a zip for .xlsx/.xlsm/.docx, ``%PDF-`` for .pdf, text without NUL bytes for .html/.htm/.txt). Anything else
  is refused with a Chinese message (``Refused``) and nothing is stored.
- **Stored**: ``settings.FILES/<random hex><suffix>`` (the suffix is one of ``ALLOWED``, never the user's text), the
  sha256 and size computed while writing. The original file name is only displayed and used in downloads.
- **Checked** in a worker process (``workers.run_limited``) within the reader's time limit, so a hostile file
  can neither hang nor crash the server: a workbook with ``read_and_check``, a report through ``import_file`` into a
  workbook stored under its own generated name (``Upload.workbook``, ``imported``), then checked. The result kept
  is the file's entry of ``xltools check --format json`` (``render.to_json``): the same findings as the CLI.
- **Versions**: last + 1, in a transaction that locks the unit's row (``select_for_update`` on PostgreSQL; SQLite
  runs every transaction as ``BEGIN IMMEDIATE``, see settings), so concurrent uploads of one unit never collide.
  A file identical to an earlier version (same sha256) is still kept as a new version and the result page says so
  (``same_as``): nothing a unit sends is ever dropped, and the history shows every attempt.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from xltools.checking.check import CheckReport
from xltools.portal.models import RosterUnit, Upload
from xltools.portal.workers import (
    CheckSettings,
    check_in_worker,
    edited_bytes,
    entry_of,
    import_in_worker,
    run_limited,
)

WORKBOOKS = (".xlsx", ".xlsm")
REPORTS = (".docx", ".pdf", ".html", ".htm", ".txt")
ALLOWED = WORKBOOKS + REPORTS
ACCEPT = ",".join(ALLOWED)  # the upload field's accept attribute
KIND_LABEL = {"original": "原件", "annotated": "校验结果", "filled": "已填合计"}


class Refused(Exception):
    """An upload the portal does not take; the message (Chinese) says why and what to do."""


def suffix_of(name: str) -> str:
    return Path(name).suffix.lower()


def content_matches(suffix: str, head: bytes) -> bool:
    """Whether the first bytes of a file are what its suffix says (``head``: up to 8 KB)."""
    if suffix in (".xlsx", ".xlsm", ".docx"):
        return head.startswith(b"PK\x03\x04")
    if suffix == ".pdf":
        return b"%PDF-" in head[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text
        return True
    return b"\x00" not in head and not head.startswith((b"PK\x03\x04", b"%PDF-"))


def _refuse_name(name: str) -> str:
    suffix = suffix_of(name)
    if suffix not in ALLOWED:
        shown = f"（{suffix}）" if suffix else ""
        raise Refused(f"不能上传这种文件{shown}：请上传年度报告工作簿（.xlsx 或 .xlsm），"
                      "或者 Word（.docx）、PDF、网页（.html）、文本（.txt）格式的报告")
    return suffix


def store(source: UploadedFile) -> tuple[str, str, int]:
    """Write an upload to ``settings.FILES`` under a generated name: (name, sha256, size). Refused (nothing
    left behind) when it is too large or its content is not what its suffix says."""
    name = source.name or ""
    suffix = _refuse_name(name)
    limit = int(settings.UPLOAD_MB * 1024 * 1024)
    if source.size is not None and source.size > limit:
        raise Refused(f"文件太大（{source.size / 1048576:.1f} MB）：一次最多上传 {settings.UPLOAD_MB:g} MB")
    if not source.size:
        raise Refused("文件是空的（0 字节）：请选择正确的文件再上传")
    folder = Path(settings.FILES)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + suffix
    target = folder / stored
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with target.open("xb") as out:
            for chunk in source.chunks():
                if len(head) < 8192:
                    head += chunk[:8192 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise Refused(f"文件太大：一次最多上传 {settings.UPLOAD_MB:g} MB")
                digest.update(chunk)
                out.write(chunk)
        if not content_matches(suffix, head):
            raise Refused(f"文件内容与扩展名 {suffix} 不符（文件可能已损坏，或改过扩展名）：请用 Excel/WPS 等"
                          "打开后按原格式另存，再上传")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return stored, digest.hexdigest(), size


def check_stored(stored: str, original_name: str, how: CheckSettings | None = None) -> tuple[dict[str, Any], str]:
    """Check a stored upload (``how``: the round's profile and last year's upload): (its check entry, the workbook
    that was checked: ``stored`` itself, or the generated name of the workbook imported from a report, or "" when
    the import failed)."""
    folder = Path(settings.FILES)
    path = str(folder / stored)
    how = how or CheckSettings()
    if suffix_of(stored) in WORKBOOKS:
        entry, reason = run_limited(check_in_worker, path, original_name, how)
        return (entry if reason is None else entry_of(CheckReport(original_name, reason=reason), original_name)), stored
    workbook = secrets.token_hex(16) + ".xlsx"
    result, reason = run_limited(import_in_worker, path, str(folder / workbook), original_name, how)
    if reason is not None or result[1] is not None:
        (folder / workbook).unlink(missing_ok=True)
        entry = result[0] if reason is None else entry_of(CheckReport(original_name, reason=reason), original_name)
        return entry, ""
    return result[0], workbook


def status_of(entry: dict[str, Any]) -> str:
    """The upload's status: errors | warnings | passed | unreadable (the check's "ok" is "passed")."""
    status = str(entry.get("status", "unreadable"))
    return "passed" if status == "ok" else status


def receive(unit: RosterUnit, source: UploadedFile, user: Any) -> Upload:
    """Store, check and record one upload of ``unit`` (its next version). Raises ``Refused``."""
    name = Path((source.name or "").replace("\\", "/")).name[:255] or "未命名"
    from xltools.portal.review import check_settings

    stored, sha256, size = store(source)
    entry, workbook = check_stored(stored, name, check_settings(unit))
    counts = entry.get("counts", {})
    with transaction.atomic():
        RosterUnit.objects.select_for_update().filter(pk=unit.pk).first()  # serialises a unit's versions
        last = Upload.objects.filter(unit=unit).aggregate(last=Max("version"))["last"] or 0
        return Upload.objects.create(
            unit=unit, version=last + 1, original_name=name, stored=stored, workbook=workbook, sha256=sha256,
            size=size, imported=suffix_of(stored) in REPORTS, uploaded_by=user, status=status_of(entry),
            errors=counts.get("error", 0), warnings=counts.get("warning", 0), infos=counts.get("info", 0),
            report=entry)


def same_as(upload: Upload) -> Upload | None:
    """The earliest earlier version of the same unit with identical content, if any."""
    return (Upload.objects.filter(unit_id=upload.unit_id, sha256=upload.sha256, version__lt=upload.version)
            .order_by("version").first())


def edited_copy(upload: Upload, kind: str) -> tuple[io.BytesIO | None, str]:
    """(the copy's bytes, its download name) or (None, the reason it cannot be made)."""
    if not upload.workbook or upload.status == "unreadable":
        return None, "这个文件无法读取，不能生成此副本"
    result, reason = run_limited(edited_bytes, str(Path(settings.FILES) / upload.workbook), kind,
                                 upload.unit.round.profile)
    if reason is not None or isinstance(result, str):
        return None, reason or str(result)
    suffix = suffix_of(upload.workbook)
    return io.BytesIO(result), f"{Path(upload.original_name).stem}-{KIND_LABEL[kind]}{suffix}"
