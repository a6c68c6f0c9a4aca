"""``results.csv``: written one row at a time, read back when a tournament resumes.

Every row is written with a single ``write`` and flushed at once, so a process killed at any
moment loses at most the negotiations still in flight, and leaves at worst one torn last line
(no cell holds a line break, so a torn line is one without its final newline). The file is
also ``fsync``-ed every :data:`SYNC_EVERY` rows and when it is closed. Reading it back drops a
torn last line (cutting the file back to the last complete row) so that negotiation runs again.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from accord.errors import InputError
from accord.logs import get_logger
from accord.tournament.rows import Row, parse_row

__all__ = ["SYNC_EVERY", "ResultsFile", "read_results", "write_parquet"]

log = get_logger(__name__)

SYNC_EVERY = 50
"""Rows between two ``fsync`` calls (flushing to the OS happens after every row)."""


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def read_results(path: Path, columns: list[str], roles: int) -> dict[str, dict[str, Any]]:
    """The finished rows of ``path`` by key (typed, see :func:`parse_row`); cuts a torn last
    line off the file. Refuses a file whose header is not ``columns`` or with a bad row
    before the last."""
    data = path.read_bytes()
    if not data:
        return {}
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("torn_row_dropped", path=str(path), bytes=len(data) - end)
        with path.open("r+b") as handle:
            handle.truncate(end)
        data = data[:end]
    lines = data.decode("utf-8").splitlines()
    if not lines:
        return {}
    header = next(csv.reader([lines[0]]))
    if header != columns:
        raise InputError(
            f"{path} has other columns than this tournament writes (another accord version?); "
            f"expected {columns[:8]!r}..., found {header[:8]!r}...; use another --out"
        )
    rows: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = next(csv.reader([line]), [])
        try:
            if len(cells) != len(columns):
                raise ValueError(f"{len(cells)} cells instead of {len(columns)}")  # noqa: TRY301  # one handler for both
            row = parse_row(dict(zip(columns, cells, strict=True)), roles)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not a result row: {exc}") from None
        key = str(row["key"])
        if key not in rows or rows[key]["status"] != "ok":
            rows[key] = row  # a replay of a failed row (--retry-failed) replaces it
    return rows


class ResultsFile:
    """Append-only writer of ``results.csv`` (writes the header if the file is new)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        fresh = not path.exists() or path.stat().st_size == 0
        self._handle = path.open("a", encoding="utf-8", newline="")
        self._unsynced = 0
        if fresh:
            self._write(_line(columns))

    def _write(self, line: str) -> None:
        self._handle.write(line)
        self._handle.flush()
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY:
            os.fsync(self._handle.fileno())
            self._unsynced = 0

    def append(self, row: Row) -> None:
        self._write(_line([row.get(name) for name in self.columns]))

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_parquet(path: Path, rows: list[dict[str, Any]], types: dict[str, type]) -> bool:
    """Write ``rows`` (typed, in plan order) to ``path`` as Parquet, with the column
    ``types``, if pyarrow is importable (the optional extra ``accord[parquet]``); return
    whether it was written."""
    try:  # optional: imported by name, so that type checking does not need it
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        return False
    kinds = {int: pa.int64(), float: pa.float64(), bool: pa.bool_(), str: pa.string()}
    schema = pa.schema([(name, kinds[kind]) for name, kind in types.items()])
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in types} for row in rows], schema=schema
    )
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return True
