"""The long fuzz run (issue 12): the strategies of tests/test_fuzz.py (tests/field/strategies.py) against the same
in-process targets (tests/field/targets.py), with many more examples, printing a summary per target: examples run,
time, and the smallest failing input hypothesis found (saved under --save-dir for a bug report).

    python benchmarks/fuzz.py --examples 20000 [--only check] [--seed 1] [--save-dir fuzz-failures]

Exit code 0 when every target kept its promise, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.field import strategies, targets  # noqa: E402

TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any, Path], None]]] = {
    "check-damaged-parts": (strategies.mutated_workbook(), targets.check_workbook),
    "reader-damaged-parts": (strategies.mutated_workbook(), targets.read_workbook),
    "check-cell-values": (strategies.cell_values_workbook(), targets.check_workbook),
    "check-sheet-attributes": (strategies.attribute_workbook(), targets.check_workbook),
    "document-reader": (strategies.json_document(), targets.read_document),
    "import-reader": (strategies.import_text(), targets.read_import),
}


def run_target(name: str, examples: int, seed_value: int, save_dir: Path | None) -> tuple[int, float, str | None]:
    strategy, target = TARGETS[name]
    count = 0
    failure: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="xltools-fuzz-") as tmp:
        folder = Path(tmp)

        @seed(seed_value)
        @settings(max_examples=examples, deadline=None, database=None, print_blob=False,
                  phases=[Phase.generate, Phase.shrink],
                  suppress_health_check=list(HealthCheck))
        @given(value=strategy)
        def test(value: Any) -> None:
            nonlocal count
            count += 1
            try:
                target(value, folder)
            except BaseException:
                failure[:] = [value, traceback.format_exc(limit=4)]
                raise

        start = time.monotonic()
        try:
            test()
        except BaseException as exc:  # the smallest failing example is the last one recorded
            if not failure:
                failure[:] = [None, f"{type(exc).__name__}: {exc}"]
        seconds = time.monotonic() - start
    if not failure:
        return count, seconds, None
    value, trace = failure
    if save_dir is not None and value is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        data = value[1] if isinstance(value, tuple) else value
        suffix = value[0] if isinstance(value, tuple) else (".json" if name == "document-reader" else ".xlsx")
        (save_dir / f"{name}{suffix}").write_bytes(data)
    return count, seconds, trace.strip().splitlines()[-1][:300]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="examples per target (default 2000)")
    parser.add_argument("--only", default="", help="run only the targets whose name contains this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-dir", type=Path, default=None, help="write each smallest failing input here")
    args = parser.parse_args()
    failed = 0
    print(f"{'target':<24} {'examples':>9} {'seconds':>8}  result")
    for name in TARGETS:
        if args.only not in name:
            continue
        count, seconds, problem = run_target(name, args.examples, args.seed, args.save_dir)
        failed += problem is not None
        print(f"{name:<24} {count:>9} {seconds:>8.1f}  {'ok' if problem is None else 'FAILED: ' + problem}",
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
