"""Reading a run of digits whose separators were lost ("21710000218" = 217,1,0,0,0,0,218). Pure.

``splits`` lists every way to cut the tokens of a table row into the row's number of cells (a cut is kept wherever
the source had a separator, and no number has a leading zero). When that is more than one way, the caller keeps only
the ways the table's own arithmetic allows; when still more than one fits, the cells are left empty.
"""

from __future__ import annotations

from collections.abc import Iterator

from xltools.format.findings import Number

MAX_DIGITS = 9  # no count in these tables comes near a billion
LIMIT = 50_000  # more ways than this: give up (the row is then reported, never guessed)


def _as_number(text: str) -> Number:
    return float(text) if "." in text else int(text)


def splits(tokens: list[str], n: int, limit: int = LIMIT) -> list[list[Number]] | None:
    """All readings of ``tokens`` (digit strings, a decimal only as a whole token) as ``n`` numbers; None when
    there are more than ``limit``."""
    if not all(t.replace(".", "", 1).isdigit() for t in tokens):
        return []
    if any("." in t for t in tokens):
        return [[_as_number(t) for t in tokens]] if len(tokens) == n else []
    text = "".join(tokens)
    boundaries = set()
    pos = 0
    for t in tokens[:-1]:
        pos += len(t)
        boundaries.add(pos)
    found: list[list[Number]] = []

    def walk(start: int, left: int, acc: list[Number]) -> Iterator[None]:
        if left == 1:
            piece = text[start:]
            if piece and len(piece) <= MAX_DIGITS and (piece == "0" or piece[0] != "0") and not any(
                    b > start for b in boundaries):
                found.append([*acc, int(piece)])
                yield None
            return
        next_boundary = min((b for b in boundaries if b > start), default=len(text))
        for end in range(start + 1, min(start + MAX_DIGITS, next_boundary) + 1):
            if len(text) - end < left - 1:
                break
            piece = text[start:end]
            if piece[0] == "0" and len(piece) > 1:
                break
            yield from walk(end, left - 1, [*acc, int(piece)])
            if len(found) > limit:
                return

    for _ in walk(0, n, []):
        if len(found) > limit:
            return None
    return found


def sums_hold(numbers: list[Number], size: int) -> bool:
    """Each consecutive group of ``size`` numbers ends with the sum of the others (表三 rows: 6 + 总计; 表四:
    three groups of 4 + 总计)."""
    for i in range(0, len(numbers), size):
        group = numbers[i:i + size]
        if len(group) != size or sum(group[:-1]) != group[-1]:
            return False
    return True
