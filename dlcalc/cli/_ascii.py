"""Output for a terminal or file that cannot take Unicode (``LC_ALL=C``, ``PYTHONIOENCODING=ascii``).

dlcalc writes ε, β, ≤, ÷, … and rich's box-drawing characters.  When stdout or stderr
cannot encode them, every message, help text and note is written with ASCII stand-ins
(``ε`` → ``eps``, ``≤`` → ``<=``, ``÷`` → ``/``, ``…`` → ``...``); tables are built from
ASCII text in the first place (so their columns stay aligned), and rich draws their
borders with its ASCII box.  Anything without a stand-in becomes ``?``.  JSON is ASCII
already; CSV carries no such characters.
"""

from __future__ import annotations

import codecs
import dataclasses
import sys
import unicodedata

__all__ = ["ASCII_CODEC", "ASCII_ERRORS", "to_ascii", "guard_encoding", "can_encode", "ascii_report"]

#: The codec error handler that writes the stand-ins.
ASCII_ERRORS = "dlcalc-ascii"

_STAND_INS = {
    "ε": "eps",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "Δ": "Delta",
    "σ": "sigma",
    "Σ": "Sum",
    "φ": "phi",
    "𝒜": "A",
    "§": "S",
    "≤": "<=",
    "≥": ">=",
    "≈": "~",
    "≠": "!=",
    "÷": "/",
    "×": "x",
    "·": "*",
    "∘": "o",
    "±": "+-",
    "∓": "-+",
    "∈": " in ",
    "∪": "u",
    "⊆": "<=",
    "∅": "{}",
    "→": "->",
    "←": "<-",
    "…": "...",
    "—": "-",
    "–": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "\u0302": "^",  # combining circumflex: f̂ → f^
    "\u00a0": " ",
}

#: Characters that every table or message may hold, to see whether a stream takes them.
_PROBE = "ε≤÷…—β─┃"


def _stand_in(char: str) -> str:
    if char in _STAND_INS:
        return _STAND_INS[char]
    if char.isascii():
        return char
    if unicodedata.category(char).startswith("Z"):
        return " "
    if "BOX DRAWINGS" in unicodedata.name(char, ""):
        return "-" if "HORIZONTAL" in unicodedata.name(char, "") else "|"
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or "?"


def to_ascii(text: str) -> str:
    """``text`` with every character beyond ASCII replaced by its stand-in."""
    return text if text.isascii() else "".join(_stand_in(c) for c in text)


def _handler(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return to_ascii(exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ASCII_ERRORS, _handler)

#: ASCII under another name: click re-encodes a stream named ``ascii`` as UTF-8, whatever it holds.
ASCII_CODEC = "dlcalc-ascii"


def _search(name: str):
    if name != ASCII_CODEC.replace("-", "_"):
        return None
    base = codecs.lookup("ascii")
    return codecs.CodecInfo(
        base.encode,
        base.decode,
        base.streamreader,
        base.streamwriter,
        base.incrementalencoder,
        base.incrementaldecoder,
        name=ASCII_CODEC,
    )


codecs.register(_search)


def can_encode(stream, text: str = _PROBE) -> bool:
    """Whether ``stream`` (a text stream) can write ``text`` as it is."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def guard_encoding() -> None:
    """Let stdout and stderr write stand-ins for the characters their encoding lacks, instead of failing."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name, None)
        if stream is None or can_encode(stream):
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            if codecs.lookup(stream.encoding).name == "ascii":
                reconfigure(encoding=ASCII_CODEC, errors=ASCII_ERRORS)
            else:
                reconfigure(errors=ASCII_ERRORS)
        except (ValueError, OSError, AttributeError, LookupError):
            pass


def ascii_report(report):
    """The report with its title, notes, headers and cells in ASCII (the table then lines up)."""

    def column(c):
        render = c.render

        def ascii_render(value, render=render):
            from ._style import format_cell

            return to_ascii((render or format_cell)(value))

        return dataclasses.replace(
            c,
            header=to_ascii(c.header),
            short=None if c.short is None else to_ascii(c.short),
            note=None if c.note is None else to_ascii(c.note),
            render=ascii_render,
        )

    return dataclasses.replace(
        report,
        columns=[column(c) for c in report.columns],
        title=None if report.title is None else to_ascii(report.title),
        notes=[to_ascii(n) for n in report.notes],
    )
