"""The plan of the field corpus: every (input, command) run with what it promises. ``plan(folder)`` lists the runs;
each knows how to build its input, the command line, the exit codes allowed and which outputs must (not) exist."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.field import inputs, workbooks
from tests.field.workbooks import WorkbookCase

PDF_CASES = {"clean", "control-x1f-unit"}
CONSOLIDATING_UNIT = "××市人民政府"
GOOD_UNITS = ["市教育局", "市民政局", "市财政局"]


@dataclasses.dataclass(frozen=True)
class Run:
    """One command on one input. ``args(input, out_dir)`` is the command line after ``xltools``."""

    id: str
    make: Callable[[Path], Path]
    args: Callable[[Path, Path], list[str | Path]]
    expected: frozenset[int]
    outputs: Callable[[Path], list[Path]] = lambda out: []
    output_on: frozenset[int] = frozenset({0, 1})
    json_out: bool = False
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    memory_cap: bool = True
    leak: str | None = None
    vba: bool = False  # outputs must keep the VBA project byte for byte


def _readable_only(case: WorkbookCase, when_readable: set[int]) -> frozenset[int]:
    """The exit codes of a command that only needs to read: 2 where check may refuse, else ``when_readable``."""
    codes = set(when_readable) if case.rc - {2} else set()
    return frozenset(codes | (case.rc & {2}))


WRITERS = ("check-annotate", "fill", "clear-flags")
DOCX_CASES = PDF_CASES | {"control-x00-text", "unit-hyperlink-formula", "not-a-zip", "value-5000-digit-text"}


def workbook_runs(case: WorkbookCase, index: int) -> list[Run]:
    """The commands for one workbook. A workbook every command must refuse goes through the readers (check, dump,
    export; its check JSON is in the batch) and one of the three commands that write a workbook, in turn (they
    share one way of opening a workbook), so that the corpus stays fast; every other workbook goes through all."""
    sfx = case.suffix
    common: dict[str, Any] = {"make": case.make, "env": case.env, "leak": case.leak}
    # the value cases share one reading path too; some cases ask for one writer (slow, or refused on opening)
    rotate = case.unreadable or case.id.startswith("value-") or case.one_writer
    writers = [WRITERS[index % 3]] if rotate else list(WRITERS)
    runs = [
        Run(f"{case.id}::check", args=lambda i, o: ["check", i], expected=case.rc, **common),
        Run(f"{case.id}::dump", args=lambda i, o: ["dump", i], expected=_readable_only(case, {0}), json_out=True,
            **common),
    ]
    if not case.unreadable:  # an unreadable file's JSON entry is checked in the batch (check DIR --format json)
        runs.append(Run(f"{case.id}::check-json", args=lambda i, o: ["check", "--format", "json", i],
                        expected=case.rc, json_out=True, **common))
    if "check-annotate" in writers:
        runs.append(Run(f"{case.id}::check-annotate",
                        args=lambda i, o: ["check", i, "--annotate", o / f"annotated{sfx}"],
                        expected=case.edits or case.rc, outputs=lambda o: [o / f"annotated{sfx}"],
                        vba=sfx == ".xlsm", **common))
    if "fill" in writers:
        runs.append(Run(f"{case.id}::fill", args=lambda i, o: ["fill", i, "-o", o / f"filled{sfx}"],
                        expected=case.edits or _readable_only(case, {0, 1}), outputs=lambda o: [o / f"filled{sfx}"],
                        vba=sfx == ".xlsm", **common))
    if "clear-flags" in writers:
        runs.append(Run(f"{case.id}::clear-flags", args=lambda i, o: ["clear-flags", i, "-o", o / f"cleared{sfx}"],
                        expected=case.edits or _readable_only(case, {0}), outputs=lambda o: [o / f"cleared{sfx}"],
                        vba=sfx == ".xlsm", **common))
    formats = ["html", *(["docx"] if case.id in DOCX_CASES else []), *(["pdf"] if case.id in PDF_CASES else [])]
    runs += [_export(case, fmt, common) for fmt in formats]
    return runs


def _export(case: WorkbookCase, fmt: str, common: dict[str, Any]) -> Run:
    def args(i: Path, o: Path) -> list[str | Path]:
        return ["export", i, "-o", o / f"r.{fmt}"]

    def outputs(o: Path) -> list[Path]:
        return [o / f"r.{fmt}"]

    # no memory cap for PDF: Chromium reserves far more address space than it uses
    return Run(f"{case.id}::export-{fmt}", args=args, expected=case.rc, outputs=outputs, output_on=frozenset({0}),
               memory_cap=fmt != "pdf", **common)


def json_runs(case: inputs.InputCase) -> list[Run]:
    return [Run(f"{case.id}::new-from", make=case.make, args=lambda i, o: ["new", "--from", i, "-o", o / "new.xlsx"],
                expected=case.rc, outputs=lambda o: [o / "new.xlsx"], output_on=frozenset({0}), env=case.env)]


TEXT_IMPORTS = {"import-txt-binary", "import-docx-not-zip", "import-pdf-encrypted", "import-html-two-t3-tables"}


def import_runs(case: inputs.InputCase) -> list[Run]:
    runs = [
        Run(f"{case.id}::import-json", make=case.make,
            args=lambda i, o: ["import", i, "-o", o / "imported.xlsx", "--format", "json"], expected=case.rc,
            outputs=lambda o: [o / "imported.xlsx"], json_out=True, env=case.env),
    ]
    if case.id in TEXT_IMPORTS:  # the text report: the same reading, another renderer
        runs.append(Run(f"{case.id}::import", make=case.make,
                        args=lambda i, o: ["import", i, "-o", o / "imported.xlsx"],
                        expected=case.rc, outputs=lambda o: [o / "imported.xlsx"], env=case.env))
    return runs


def roster_runs(case: inputs.InputCase, good_dir: Path) -> list[Run]:
    return [Run(f"{case.id}::consolidate-roster", make=case.make,
                args=lambda i, o: ["consolidate", good_dir, "-o", o / "city.xlsx", "--unit", CONSOLIDATING_UNIT,
                                   "--year", "2021", "--roster", i, "--jobs", "1"],
                expected=case.rc, outputs=lambda o: [o / "city.xlsx", o / "city-汇总情况.html",
                                                     *sorted(o.glob("city-汇总情况-第*页.html"))],  # a long roster
                env=case.env)]


def plan(secret: Path, good_dir: Path) -> list[Run]:
    """Every per-input run of the corpus (the batch runs are in tests/test_field_corpus.py)."""
    runs: list[Run] = []
    for index, wb in enumerate(workbooks.cases(secret)):
        runs += workbook_runs(wb, index)
    for js in inputs.json_cases():
        runs += json_runs(js)
    for im in inputs.import_cases():
        runs += import_runs(im)
    for ro in inputs.roster_cases(GOOD_UNITS):
        runs += roster_runs(ro, good_dir)
    return runs
