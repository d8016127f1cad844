"""The office's consolidation of a round, run in the background: the same ``consolidate`` as the command, on the
workbook of each unit's accepted upload, with the round's unit, year and roster.

The view records a ``Consolidation`` row (state ``running``, the uploads it takes) and ``start`` runs ``run`` in a
daemon thread of the server process; the row holds the progress, then ``done`` with the two files (generated names
in ``settings.RESULTS``) or ``failed`` with the Chinese reason. Nothing here raises into a page.

The inputs are copies of the stored workbooks in a temporary folder, each named after its unit (reduced to letters,
digits and a few marks, with the roster position added where two names would meet): ``consolidate`` shows these
names in 报送情况. The roster is the round's, written as a CSV beside them, so units without an accepted version
are listed as 未报送 exactly as ``xltools consolidate --roster`` lists them.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from xltools.consolidate.consolidation import consolidate, overview_path
from xltools.consolidate.decide import STATUS_ZH
from xltools.errors import XltoolsError
from xltools.portal.models import Consolidation, RosterUnit, Upload

log = logging.getLogger(__name__)
THREAD_PREFIX = "xltools-consolidation-"


def start(consolidation: Consolidation) -> threading.Thread:
    """Run the consolidation in a daemon thread (named ``xltools-consolidation-<id>``) and return at once."""
    thread = threading.Thread(target=run, args=(consolidation.pk,), name=f"{THREAD_PREFIX}{consolidation.pk}",
                              daemon=True)
    thread.start()
    return thread


def input_name(unit: RosterUnit, upload: Upload, taken: set[str]) -> str:
    """The file name of a unit's workbook among the inputs: its name reduced to letters, digits and a few marks
    (never a path), with its roster position added when two names reduce to the same."""
    name = re.sub(r"[^\w（）()·、-]+", "_", unit.name).strip("._-")[:80] or "单位"
    if name.casefold() in taken:
        name = f"{name}-{unit.position}"
    taken.add(name.casefold())
    return f"{name}{workbook_suffix(upload)}"


def workbook_suffix(upload: Upload) -> str:
    """The suffix of the stored workbook (.xlsm for a macro workbook the unit sent), else .xlsx."""
    suffix = Path(upload.workbook or upload.stored).suffix.lower()
    return suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"


def workbook_path(upload: Upload) -> Path:
    return Path(settings.FILES) / (upload.workbook or upload.stored)


def write_roster(units: list[RosterUnit], path: Path) -> None:
    """The round's roster as a CSV that ``read_roster`` reads back unchanged."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位名称", "代码", "单位层级", "上级单位"])
        for u in units:
            writer.writerow([u.name, u.code, u.level, u.parent])


_WORK_PATH = re.compile(r"[^\s：（“]*xltools-consolidation-[^/\\\s]+[/\\](?:inputs[/\\])?")


def without_paths(message: str) -> str:
    """The engine's message without the server's working folders: the office sees the units' file names only."""
    message = _WORK_PATH.sub("", message)
    return message.replace(str(Path(settings.RESULTS)) + os.sep, "").replace(str(Path(settings.RESULTS)), "")


def _set(consolidation_id: int, **fields: object) -> None:
    Consolidation.objects.filter(pk=consolidation_id).update(**fields)


def run(consolidation_id: int) -> None:
    """Consolidate, recording progress and the outcome in the row. Never raises."""
    try:
        _run(consolidation_id)
    except XltoolsError as exc:
        _set(consolidation_id, state=Consolidation.FAILED, message=without_paths(str(exc)), finished_at=timezone.now())
    except OSError as exc:
        _set(consolidation_id, state=Consolidation.FAILED, finished_at=timezone.now(),
             message=f"无法读写汇总文件：{exc.strerror or exc}。请检查数据文件夹的空间和权限后重新汇总")
    except Exception as exc:  # a bug: the office sees that it is one, the log has the traceback
        log.exception("consolidation %s failed", consolidation_id)
        _set(consolidation_id, state=Consolidation.FAILED, finished_at=timezone.now(),
             message=f"汇总时出现程序错误（{type(exc).__name__}），请把这条信息告诉系统管理员")
    finally:
        connections.close_all()  # this thread's database connection


def _run(consolidation_id: int) -> None:
    job = Consolidation.objects.select_related("round").get(pk=consolidation_id)
    round_ = job.round
    uploads = list(job.uploads.select_related("unit").order_by("unit__position"))
    units = list(round_.units.order_by("position"))
    results = Path(settings.RESULTS)
    results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xltools-consolidation-") as folder:
        inputs = Path(folder) / "inputs"
        inputs.mkdir()
        _set(consolidation_id, progress=f"正在准备 {len(uploads)} 份已采用的工作簿")
        taken: set[str] = set()
        for upload in uploads:
            shutil.copyfile(workbook_path(upload), inputs / input_name(upload.unit, upload, taken))
        roster = Path(folder) / "roster.csv"
        write_roster(units, roster)
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            _set(consolidation_id, progress=f"已读取 {done}/{len(uploads)} 份工作簿")

        output = results / f"{secrets.token_hex(16)}.xlsx"
        result = consolidate([str(inputs)], output, unit=round_.unit, year=round_.year, roster=roster,
                             progress=progress)
    counts = "，".join(f"{STATUS_ZH[s]} {result.count(s)}" for s in STATUS_ZH if result.count(s))
    _set(consolidation_id, state=Consolidation.DONE, finished_at=timezone.now(), workbook=output.name,
         overview=overview_path(output).name, progress=f"已完成：读取 {len(uploads)} 份工作簿",
         message=f"汇总：{counts}。计入汇总的单位：{sum(1 for e in result.entries if e.included)} 个")
