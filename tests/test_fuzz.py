"""Fuzzing (issue 12): mutated workbooks (damaged XML parts, random values of every type in input cells, random
sheet attributes), random JSON report documents and random import sources go through the library in-process
(tests/field/targets.py says what each must never do). Bounded so that this file runs well under a minute;
``python benchmarks/fuzz.py --examples 20000`` runs the same strategies for longer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.field import strategies, targets

FUZZ = settings(max_examples=300, deadline=10_000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="xltools-fuzz-test") as name:
        yield Path(name)


@FUZZ
@given(data=strategies.mutated_workbook())
def test_check_survives_damaged_parts(folder: Path, data: bytes) -> None:
    targets.check_workbook(data, folder)


@FUZZ
@given(data=strategies.mutated_workbook())
def test_reader_raises_only_xltools_errors(folder: Path, data: bytes) -> None:
    targets.read_workbook(data, folder)


@FUZZ
@given(data=strategies.cell_values_workbook())
def test_check_survives_any_cell_value(folder: Path, data: bytes) -> None:
    targets.check_workbook(data, folder)


@FUZZ
@given(data=strategies.attribute_workbook())
def test_check_survives_random_sheet_attributes(folder: Path, data: bytes) -> None:
    targets.check_workbook(data, folder)


@FUZZ
@given(data=strategies.json_document())
def test_document_reader_raises_only_xltools_errors(folder: Path, data: bytes) -> None:
    targets.read_document(data, folder)


@FUZZ
@given(source=strategies.import_text())
def test_import_reader_raises_only_xltools_errors(folder: Path, source: tuple[str, bytes]) -> None:
    targets.read_import(source, folder)
