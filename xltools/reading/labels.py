"""Label verification: is a cell really under the row and column labels the format says?

Pure functions over a sheet grid, so that a shifted, edited or foreign sheet is reported and never misread.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

from xltools.format.addresses import to_address
from xltools.format.spec import CellSpec
from xltools.limits import ENV, LimitError, limits

_DIGIT_COMMA = re.compile(r"(\d)、")
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"'})


def normalize_label(text: Any) -> str:
    """Compare labels ignoring width, whitespace, quote style and "1、" vs "1."."""
    return _normalize(text) if isinstance(text, str) and text else ""


@lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    s = _SPACE.sub("", s)
    return _DIGIT_COMMA.sub(r"\1.", s)


_EMPTY: set[str] = set()


class Grid:
    """A sheet's values (absolute, zero-based) with merged ranges resolved to their top-left value.

    Together the merged ranges may cover at most ``limits().merged_cells`` cells, else LimitError (a merge like
    K40:XFD1048576 is refused), and each is clipped to ``bound`` (rows, columns; default: the extent of ``rows``)
    before its cells are resolved."""

    def __init__(self, rows: Sequence[Sequence[Any]], merges: Sequence[tuple[tuple[int, int], tuple[int, int]]],
                 bound: tuple[int, int] | None = None, sheet: str = ""):
        self.rows = rows
        self._origin: dict[tuple[int, int], tuple[int, int]] = {}
        self._ends: dict[tuple[int, int], tuple[int, int]] = {}
        n_rows, n_cols = bound or (len(rows), max(map(len, rows), default=0))
        limit, covered = limits().merged_cells, 0
        for (r0, c0), (r1, c1) in merges:
            covered += max(r1 - r0 + 1, 0) * max(c1 - c0 + 1, 0)  # as merged, before clipping
            r1, c1 = min(r1, n_rows - 1), min(c1, n_cols - 1)
            if covered > limit:
                where = f"工作表“{sheet}”" if sheet else "工作表"
                raise LimitError(
                    f"{where}中合并单元格太多（合并区域共覆盖超过 {limit} 个单元格）：请取消表格以外的合并单元格后"
                    f"再试（上限可由 {ENV}=merged_cells=… 调整）",
                    f"the merged ranges of sheet {sheet} cover more than {limit} cells (see {ENV})")
            if r1 < r0 or c1 < c0 or (r0, c0) in self._ends:
                continue
            self._ends[(r0, c0)] = (r1, c1)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self._origin.setdefault((r, c), (r0, c0))
        self._row_labels: dict[int, set[str]] = {}
        self._col_labels: dict[int, set[str]] = {}
        self._indexed = False
        self._verified: dict[Hashable, Any] | None = None

    def labels_key(self, inputs: frozenset[tuple[int, int]] = frozenset(),
                   labels: frozenset[str] = frozenset()) -> Hashable:
        """Everything label verification reads of this grid: its texts with their positions and its merged ranges
        (numbers never count as labels). Workbooks made from one template share it sheet by sheet. With
        ``inputs``, the texts at those positions count only if they are one of ``labels`` (normalised): what
        decides whether labels match, not which text shows where they do not."""
        texts = tuple((r, c, v) for r, line in enumerate(self.rows) for c, v in enumerate(line)
                      if v.__class__ is str and v and ((r, c) not in inputs or normalize_label(v) in labels))
        return texts, tuple(self._ends.items()), tuple(map(len, self.rows))

    def verified(self) -> dict[Hashable, Any]:
        """The label verification results for grids with this grid's labels (shared, see ``check_labels``)."""
        if self._verified is None:
            self._verified = _verified_for(self.labels_key())
        return self._verified

    def merged_into(self, row: int, col: int) -> str | None:
        """The merged range ("E5:F5") that hides this cell's own value (the cell lies under it and is not its
        top-left cell); None otherwise."""
        origin = self._origin.get((row, col))
        if origin is None or origin == (row, col):
            return None
        end = self._ends[origin]
        return f"{to_address(*origin)}:{to_address(*end)}"

    def raw(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def get(self, row: int, col: int) -> Any:
        r, c = self._origin.get((row, col), (row, col))
        return self.raw(r, c)

    def _index(self) -> None:
        """Normalised labels per row and per column, in one pass (merged ranges count in every row and column
        they cover)."""
        rows: dict[int, set[str]] = {}
        cols: dict[int, set[str]] = {}
        for r, line in enumerate(self.rows):
            for c, v in enumerate(line):
                if isinstance(v, str) and v and (n := normalize_label(v)):
                    rows.setdefault(r, set()).add(n)
                    cols.setdefault(c, set()).add(n)
        for (r, c), (r0, c0) in self._origin.items():
            if (r, c) == (r0, c0) or not (n := normalize_label(self.raw(r0, c0))):
                continue
            if r < len(self.rows):
                cols.setdefault(c, set()).add(n)
                if c < len(self.rows[r]):
                    rows.setdefault(r, set()).add(n)
        self._row_labels, self._col_labels = rows, cols
        self._indexed = True

    def row_labels(self, row: int) -> set[str]:
        if not self._indexed:
            self._index()
        return self._row_labels.get(row, _EMPTY)

    def col_labels(self, col: int) -> set[str]:
        if not self._indexed:
            self._index()
        return self._col_labels.get(col, _EMPTY)

    def text_near(self, row: int, col: int, *, left: bool) -> str:
        """The nearest non-empty text left of (or above) a cell, to show what is there instead."""
        rng = range(col - 1, -1, -1) if left else range(row - 1, -1, -1)
        for i in rng:
            v = self.get(row, i) if left else self.get(i, col)
            if isinstance(v, str) and v.strip():
                return v.strip()
        return "（空）"


# Label verification results by the labels of a grid (``Grid.labels_key``), most recently used last: a batch of
# workbooks made from one template verifies each distinct sheet layout once, not once per file. Bounded; a lock
# keeps it consistent when threads share a process.
_VERIFIED: OrderedDict[Hashable, dict[Hashable, Any]] = OrderedDict()
_VERIFIED_SIZE = 64
_LOCK = threading.Lock()


def _verified_for(key: Hashable) -> dict[Hashable, Any]:
    with _LOCK:
        found = _VERIFIED.get(key)
        if found is None:
            found = _VERIFIED[key] = {}
            if len(_VERIFIED) > _VERIFIED_SIZE:
                _VERIFIED.popitem(last=False)
        else:
            _VERIFIED.move_to_end(key)
        return found


_UNSET = ("", "")


def check_labels(cell: CellSpec, grid: Grid, row: int, col: int) -> tuple[str, str] | None:
    """None when the labels match; else (expected label, label found instead). (A text cell is found below its
    heading by ``locate``.) The result depends only on the cell's labels, the position and the grid's labels, so it
    is computed once per distinct grid layout."""
    results = grid.verified()
    key = (cell.row, cell.col, row, col)
    found: tuple[str, str] | None = results.get(key, _UNSET)
    if found is _UNSET:
        found = results[key] = _check_labels(cell, grid, row, col)
    return found


def _check_labels(cell: CellSpec, grid: Grid, row: int, col: int) -> tuple[str, str] | None:
    row_labels, col_labels = _normalized_labels(cell)
    if not row_labels <= grid.row_labels(row):
        label = next(x for x, n in zip(cell.row, map(normalize_label, cell.row), strict=True)
                     if n not in grid.row_labels(row))
        return label, grid.text_near(row, col, left=True)
    if not col_labels <= grid.col_labels(col):
        label = next(x for x, n in zip(cell.col, map(normalize_label, cell.col), strict=True)
                     if n not in grid.col_labels(col))
        return label, grid.text_near(row, col, left=False)
    return None


@lru_cache(maxsize=4096)
def _normalized_labels(cell: CellSpec) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(map(normalize_label, cell.row)), frozenset(map(normalize_label, cell.col))
