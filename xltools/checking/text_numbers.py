"""Numbers the text sections quote ("全市共受理政府信息公开申请3119件"), found for the ``text_quotes`` rules that
compare them with the tables.

Precision comes before recall: a quote is only taken when a rule's pattern matches it exactly, its number is
written in Arabic digits and not hedged (约、近、余、多、以上), and its clause (the text between two punctuation
marks) names no other scope than the report's own (a rule's ``exclude`` words: 市政府办公室, 本级, 代表, 其中 …). A
sentence may hold several quotes; each is compared on its own."""

import re
from functools import cache, lru_cache
from typing import NamedTuple

_CLAUSE_END = "，,、；;。！？!?\n（）()"
_SENTENCE_END = "；;。！？!?\n"
_HEDGE_BEFORE = ("约", "近", "超过", "逾", "达", "突破")
_HEDGE_AFTER = ("余", "多", "以上", "左右")
_SPACES = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000]+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])[ \t\u3000]+(?=\d)"
                     r"|(?<=\d)[ \t\u3000]+(?=[^\x00-\x7f])")
QUOTE_CHARS = 80  # the sentence quoted in a finding is cut to this length around the number


class Quote(NamedTuple):
    """A number the text states: its value, the sentence it stands in (cut for a message) and the matched words."""

    number: int
    sentence: str
    words: str


_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ANY_DIGIT = re.compile("[0-9０-９]")


@lru_cache(maxsize=16)  # every text_quotes rule reads the same few texts of a report
def normalise(text: str) -> str:
    """The text as the patterns read it: full-width digits made plain, spaces between Chinese characters and
    digits dropped (PDF text puts them there), thousands separators removed. Punctuation stays as written."""
    text = _SPACES.sub("", text.translate(_DIGITS))
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _bounds(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    left = max(text.rfind(ch, 0, start) for ch in stops) + 1
    rights = [i for ch in stops if (i := text.find(ch, end)) >= 0]
    return left, min(rights) if rights else len(text)


def _cut(sentence: str, at: int) -> str:
    if len(sentence) <= QUOTE_CHARS:
        return sentence
    start = max(0, min(at - QUOTE_CHARS // 2, len(sentence) - QUOTE_CHARS))
    return ("…" if start else "") + sentence[start:start + QUOTE_CHARS] + ("…" if start + QUOTE_CHARS < len(sentence)
                                                                          else "")


def quotes(text: str, patterns: list[str], exclude: list[str]) -> list[Quote]:
    """Every quote of one of ``patterns`` (regular expressions with a group ``n``) in ``text``, in text order,
    leaving out hedged numbers and clauses holding an ``exclude`` word."""
    if not _ANY_DIGIT.search(text):
        return []
    text = normalise(text)
    found: dict[int, Quote] = {}
    for pattern in patterns:
        for m in _compiled(pattern).finditer(text):
            n_start, n_end = m.span("n")
            if text[max(0, n_start - 2):n_start].endswith(_HEDGE_BEFORE) or \
                    text[n_end:n_end + 2].startswith(_HEDGE_AFTER):
                continue
            c_left, c_right = _bounds(text, m.start(), m.end(), _CLAUSE_END)
            clause = text[c_left:max(c_right, m.end())]
            if any(word in clause for word in exclude):
                continue
            s_left, s_right = _bounds(text, m.start(), m.end(), _SENTENCE_END)
            sentence = text[s_left:s_right].strip()
            found.setdefault(n_start, Quote(int(m.group("n")), _cut(sentence, n_start - s_left), m.group(0)))
    return [found[k] for k in sorted(found)]
