"""The field corpus (issue 12, "field-ready"): every broken or hostile input in tests/field, built by code, run
through every command that applies as a user runs it (``python -m xltools`` with a timeout, a memory cap and a
private TMPDIR), against what xltools promises: exit code 0/1/2, no traceback, no abort, no hang, strict JSON, the
input unchanged, no temp files, no output from a refused run, the file named in the message. The batch commands
(``check DIR``, ``import DIR``, ``consolidate``) show that one bad file never stops the rest.

All runs happen once, two at a time, in a module fixture; each test then reports one run, so a failure reads
``<case>::<command>: exit code …; last stderr line …``."""

from __future__ import annotations

import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.field import inputs, workbooks
from tests.field.cases import CONSOLIDATING_UNIT, GOOD_UNITS, Run, plan
from tests.field.runner import Outcome, digest, problems, run, strict_json, temp_files
from tests.field.zipparts import clean_parts, with_unit, write_parts

WORKERS = 2
RUNS = plan(Path("/nonexistent/secret"), Path("/nonexistent/good"))


def _build_input(run_: Run, folder: Path) -> Path:
    folder.mkdir(parents=True)
    return run_.make(folder)


def _vba(path: Path) -> bytes | None:
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in z.namelist() else None


def _execute(run_: Run, root: Path) -> tuple[Outcome, list[str]]:
    base = root / "runs" / run_.id.replace("::", "--")
    src = _build_input(run_, base / "in")
    out, tmp = base / "out", base / "tmp"
    out.mkdir()
    before = digest(src)
    listing = sorted(p.name for p in src.parent.iterdir())
    vba = _vba(src) if run_.vba else None
    outcome = run(run_.args(src, out), env=run_.env, tmpdir=tmp,
                  memory_cap=run_.memory_cap)
    found = problems(outcome, run_.expected, file_name=src.name, json_out=run_.json_out,
                     outputs=run_.outputs(out), output_on=run_.output_on, leak=run_.leak)
    if digest(src) != before:
        found.append("the input file changed")
    if sorted(p.name for p in src.parent.iterdir()) != listing:
        new = sorted({p.name for p in src.parent.iterdir()} - set(listing))
        found.append(f"files appeared beside the input: {new}")
    leftovers = temp_files(out, tmp)
    if leftovers:
        found.append(f"temp files left: {[Path(p).name for p in leftovers][:5]}")
    extra = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    allowed = {p.name for p in run_.outputs(out)}
    if set(extra) - allowed:
        found.append(f"unexpected files in the output folder: {sorted(set(extra) - allowed)[:5]}")
    if vba is not None:
        for o in run_.outputs(out):
            if o.is_file() and _vba(o) != vba:
                found.append(f"{o.name} lost or changed the VBA project")
    if run_.json_out and outcome.rc in (0, 1) and run_.args(src, out)[:3] == ["check", "--format", "json"]:
        found += _check_json_consistent(outcome)
    return outcome, found


def _check_json_consistent(outcome: Outcome) -> list[str]:
    try:
        data = strict_json(outcome.stdout)
        status = data["files"][0]["status"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ["check JSON without files[0].status"]
    if data.get("exit_code") != outcome.rc:
        return [f"JSON exit_code {data.get('exit_code')} but the process exited {outcome.rc}"]
    if (status == "unreadable") != (outcome.rc == 2):
        return [f"status {status} with exit code {outcome.rc}"]
    return []


def _good_dir(root: Path) -> Path:
    good = root / "good"
    good.mkdir()
    for i, unit in enumerate(GOOD_UNITS):
        (good / f"unit{i}.xlsx").write_bytes(write_parts(with_unit(clean_parts(), unit)))
    return good


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("field")
    secret = root / "secret" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(workbooks.SECRET, encoding="utf-8")
    good = _good_dir(root)
    good_digests = {p.name: digest(p) for p in good.iterdir()}
    runs = plan(secret, good)
    assert [r.id for r in runs] == [r.id for r in RUNS]
    # the slowest runs first, so that the two workers finish together
    order = sorted(runs, key=lambda r: ("million" not in r.id, "export-pdf" not in r.id))
    with ThreadPoolExecutor(WORKERS) as pool:
        results = dict(zip([r.id for r in order], pool.map(lambda r: _execute(r, root), order), strict=True))
    return {"root": root, "results": results, "good": good, "good_digests": good_digests, "secret": secret}


def test_corpus_is_large_enough() -> None:
    assert len(RUNS) >= 150
    assert len({r.id for r in RUNS}) == len(RUNS)


@pytest.mark.parametrize("run_id", [r.id for r in RUNS])
def test_field_case(corpus: dict[str, Any], run_id: str) -> None:
    outcome, found = corpus["results"][run_id]
    if found:
        pytest.fail(f"{run_id}: xltools {' '.join(Path(a).name if '/' in a else a for a in outcome.args)} → "
                    f"rc={outcome.rc} ({outcome.seconds:.1f} s): {'; '.join(found)}; "
                    f"last stderr line: {outcome.last_line()}", pytrace=False)


def test_roster_runs_leave_the_good_workbooks_alone(corpus: dict[str, Any]) -> None:
    assert {p.name: digest(p) for p in corpus["good"].iterdir()} == corpus["good_digests"]


# --- batches: one bad file never stops the rest --------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One folder holding every workbook case (each in a folder named by its id) and the good units' workbooks."""
    root = tmp_path_factory.mktemp("batch")
    secret = root / "secret.txt"
    secret.write_text(workbooks.SECRET, encoding="utf-8")
    folder = root / "received"
    folder.mkdir()
    cases = {}
    for case in workbooks.cases(secret):
        sub = folder / case.id
        sub.mkdir()
        cases[case.id] = (case, case.make(sub))
    for i, unit in enumerate(GOOD_UNITS):
        (folder / f"good{i}.xlsx").write_bytes(write_parts(with_unit(clean_parts(), unit)))
    digests = {p: digest(p) for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()}
    return {"root": root, "folder": folder, "cases": cases, "digests": digests}


def _batch_problems(b: dict[str, Any], outcome: Outcome, expected: set[int], out: Path | None = None) -> list[str]:
    found = problems(outcome, expected, json_out="--format" in outcome.args)
    now = {p: digest(p) for p in b["folder"].rglob("*") if not p.is_dir() or p.is_symlink()}
    if now != b["digests"]:
        found.append(f"the received folder changed: {sorted(str(p.name) for p in set(now) ^ set(b['digests']))[:5]}")
    found += [f"temp file left: {p}" for p in temp_files(b["folder"], *([out] if out else []))]
    return found


def _fail(name: str, outcome: Outcome, found: list[str]) -> str:
    return f"{name}: rc={outcome.rc} ({outcome.seconds:.1f} s): {'; '.join(found)}; last stderr: {outcome.last_line()}"


def test_check_folder_json_lists_every_file(batch: dict[str, Any]) -> None:
    outcome = run(["check", "--format", "json", "--jobs", "2", batch["folder"]], tmpdir=batch["root"] / "tmp1",
                  timeout=120)
    found = _batch_problems(batch, outcome, {2})
    if outcome.rc in (1, 2) and not found:
        data = strict_json(outcome.stdout)
        by_case = {Path(f["file"]).parent.name: f for f in data["files"]}
        for case_id, (case, path) in batch["cases"].items():
            if path.is_dir() and not path.is_symlink():
                continue  # a folder named .xlsx inside a folder is searched, not checked
            entry = by_case.get(case_id)
            if entry is None:
                found.append(f"{case_id}: not in the result")
            elif case.env:
                continue  # checked with the default limits here
            elif case.unreadable and entry["status"] != "unreadable":
                found.append(f"{case_id}: status {entry['status']}, expected unreadable")
            elif case.rc == workbooks.CLEAN and entry["status"] not in ("ok", "warnings"):
                found.append(f"{case_id}: status {entry['status']} ({entry.get('reason')}), expected ok")
            elif case.rc == workbooks.ERRORS and entry["status"] != "errors":
                found.append(f"{case_id}: status {entry['status']} ({entry.get('reason')}), expected errors")
            elif entry["status"] == "unreadable" and not entry.get("reason"):
                found.append(f"{case_id}: unreadable without a reason")
        passed = sum(1 for f in data["files"] if f["status"] in ("ok", "warnings"))
        if passed < len(GOOD_UNITS):
            found.append(f"only {passed} files passed")
    if found:
        pytest.fail(_fail("check DIR --format json", outcome, found), pytrace=False)


def test_check_folder_text_goes_on_after_bad_files(batch: dict[str, Any]) -> None:
    outcome = run(["check", batch["folder"]], tmpdir=batch["root"] / "tmp2", timeout=120)
    found = _batch_problems(batch, outcome, {2})
    for i in range(len(GOOD_UNITS)):
        if f"good{i}.xlsx" not in outcome.stdout:
            found.append(f"good{i}.xlsx not checked")
    if found:
        pytest.fail(_fail("check DIR", outcome, found), pytrace=False)


def _listed_files(book: Path) -> str:
    with zipfile.ZipFile(book) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


@pytest.mark.parametrize("variant", ["plain", "annotate-dir-and-roster"])
def test_consolidate_counts_the_good_and_lists_the_bad(batch: dict[str, Any], variant: str) -> None:
    out = batch["root"] / f"out-{variant}"
    out.mkdir()
    args: list[str | Path] = ["consolidate", batch["folder"], "-o", out / "city.xlsx", "--unit", CONSOLIDATING_UNIT,
                              "--year", "2021", "--jobs", "2"]
    if variant != "plain":
        args += ["--annotate-dir", out / "returned"]
        roster = batch["root"] / "roster.csv"
        roster.write_text(inputs.roster_text([*GOOD_UNITS, "市审计局"]), encoding="utf-8")
        args += ["--roster", roster]
    outcome = run(args, tmpdir=batch["root"] / f"tmp-{variant}", timeout=180)
    found = _batch_problems(batch, outcome, {1}, out)
    if outcome.rc == 1 and (out / "city.xlsx").is_file():
        text = _listed_files(out / "city.xlsx")
        for unit in GOOD_UNITS:
            if unit not in text:
                found.append(f"{unit} not counted")
        for case_id, (_case, path) in batch["cases"].items():
            if not (path.is_dir() and not path.is_symlink()) and case_id not in text:
                found.append(f"{case_id} not listed in 报送情况")
    elif outcome.rc == 1:
        found.append("no consolidated workbook")
    if found:
        pytest.fail(_fail(f"consolidate ({variant})", outcome, found), pytrace=False)


def test_import_folder_goes_on_after_bad_sources(tmp_path: Path) -> None:
    src = tmp_path / "sources"
    src.mkdir()
    made = {}
    for case in inputs.import_cases():
        if case.env:
            continue
        sub = src / case.id
        sub.mkdir()
        made[case.id] = case.make(sub)
    (src / "good").mkdir()
    (src / "good" / "report.txt").write_text(inputs.TITLE + "\n一、总体情况\n本机关认真开展工作。\n", encoding="utf-8")
    before = {p: digest(p) for p in src.rglob("*")}
    outcome = run(["import", src, "--out-dir", tmp_path / "books", "--format", "json"], tmpdir=tmp_path / "tmp",
                  timeout=180)
    found = problems(outcome, {2}, json_out=True)
    if {p: digest(p) for p in src.rglob("*")} != before:
        found.append("the sources changed")
    found += [f"temp file left: {p}" for p in temp_files(src, tmp_path / "books", tmp_path / "tmp")]
    if outcome.rc == 2 and not found:
        data = strict_json(outcome.stdout)
        listed = json.dumps(data, ensure_ascii=False)
        found += [f"{case_id} not in the import report" for case_id in [*made, "good"] if case_id not in listed]
    if found:
        pytest.fail(_fail("import DIR --format json", outcome, found), pytrace=False)


def test_temp_dirs_are_private(corpus: dict[str, Any]) -> None:
    """Nothing the runs left in their private TMPDIRs by the names xltools uses."""
    assert not temp_files(*(corpus["root"] / "runs").glob("*/tmp"))

