"""How long writing one report workbook takes (``xltools new``, ``import`` and ``consolidate`` all write one), and
how much of it is the 校验 sheet (its formulas go through XlsxWriter's formula preparation, about 30 regular
expressions per formula). In-process medians over interleaved rounds, so start-up is not counted.

    python benchmarks/write_speed.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from check_speed import machine

from xltools.format.spec import load_spec
from xltools.reading.document import read_document
from xltools.workbook import check_sheet_writer, writer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hegang-kejiju-2021.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    spec = load_spec()
    _, doc = read_document(EXAMPLE)
    times: dict[str, list[float]] = {"blank": [], "example": [], "check sheet alone": []}
    real = check_sheet_writer.write_check_sheet

    def timed(*a: Any, **k: Any) -> None:
        start = time.perf_counter()
        real(*a, **k)
        times["check sheet alone"].append(time.perf_counter() - start)

    setattr(writer, "write_check_sheet", timed)  # noqa: B010 (the writer's own reference is the one to time)
    with tempfile.TemporaryDirectory() as work:
        for n in range(args.rounds):
            for name, source in (("blank", None), ("example", doc)):
                start = time.perf_counter()
                writer.write_workbook(spec, str(Path(work) / f"{name}{n}.xlsx"), source)
                times[name].append(time.perf_counter() - start)
    print(machine(("XlsxWriter",)))
    for name, values in times.items():
        print(f"{name:>18}: median {statistics.median(values) * 1000:6.1f} ms over {len(values)}")


if __name__ == "__main__":
    main()
