"""Decoded functions exported as values on their own cells, streamed head by head (``dlcalc decode -o``).

Each head that carries a table is written as ``f̂_t`` on every cell of its own
level ``r̂_t`` (THEORY §8); a group of zero heads (``ε >= a``, ``f̂ = 0``) is one
entry named by its range, on level 0.  Values are computed and written in chunks
of cells, so an export never holds more than one chunk of one head.

- CSV: rows ``head,level,cell,value``;
- npz: one array ``head{t}`` per entry (``t`` the position of its first head) and
  ``meta``, a JSON string with ``depth``, ``eps``, ``coder`` and per entry its
  ``head``, ``family``, ``index``, ``last``, ``amplitude``, ``count``, ``level`` and ``array``.
"""

from __future__ import annotations

import functools
import json
import zipfile
from collections.abc import Callable, Iterator

import numpy as np

from ..quantize._tables import approximant_chunk

__all__ = ["export_entries", "write_csv_export", "write_npz_export", "EXPORT_CHUNK"]

#: Cells computed and written at once.
EXPORT_CHUNK = 1 << 18


def export_entries(decoded) -> Iterator[tuple[dict, int, Callable[[int, int], np.ndarray]]]:
    """``(description, cells, values(start, stop))`` for every exported entry, in head order."""
    depth = decoded.qclass.depth
    for block in decoded.tables.blocks:
        q = block.quant
        g = q.group
        if q.zero:
            info = {
                "head": g.spec,
                "family": g.family,
                "index": g.first,
                "last": g.last,
                "amplitude": g.amplitude,
                "count": g.count,
                "level": 0,
                "position": g.position,
            }
            yield info, 1, lambda start, stop: np.zeros(stop - start)
            continue
        for i, hq in enumerate(q.head_quants()):
            table = block.head_table(i)
            level = hq.approximant_level(depth)
            info = {
                "head": hq.head.spec,
                "family": g.family,
                "index": hq.head.index,
                "last": hq.head.index,
                "amplitude": g.amplitude,
                "count": 1,
                "level": level,
                "position": g.position + i,
            }
            yield (
                info,
                1 << level,
                functools.partial(approximant_chunk, hq, table, depth),  # values(start, stop)
            )


def _chunks(cells: int, values) -> Iterator[tuple[int, np.ndarray]]:
    for start in range(0, cells, EXPORT_CHUNK):
        yield start, values(start, min(cells, start + EXPORT_CHUNK))


def write_csv_export(out, decoded, on_entry: Callable[[], None] | None = None) -> None:
    """Rows ``head,level,cell,value`` to a binary stream, chunk by chunk."""
    out.write(b"head,level,cell,value\n")
    for info, cells, values in export_entries(decoded):
        prefix = f"{info['head']},{info['level']},"
        for start, chunk in _chunks(cells, values):
            lines = [f"{prefix}{start + c},{v!r}\n" for c, v in enumerate(chunk.tolist())]
            out.write("".join(lines).encode())
        if on_entry:
            on_entry()


def write_npz_export(out, decoded, on_entry: Callable[[], None] | None = None) -> None:
    """An ``.npz`` archive (zip, deflated) written array by array and chunk by chunk."""
    box = decoded.container
    meta = {"depth": box.depth, "eps": box.eps, "coder": box.coder, "heads": []}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for info, cells, values in export_entries(decoded):
            name = f"head{info.pop('position')}"
            meta["heads"].append(dict(info, array=name))
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_2_0(
                    member, {"descr": "<f8", "fortran_order": False, "shape": (cells,)}
                )
                for _, chunk in _chunks(cells, values):
                    member.write(chunk.astype("<f8").tobytes())
            if on_entry:
                on_entry()
        with archive.open("meta.npy", "w") as member:
            np.lib.format.write_array(member, np.array(json.dumps(meta)))
