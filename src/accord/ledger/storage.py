"""Where a log's records live: an append-only JSONL file (default) or an SQLite database.

Both are crash-safe in the same sense: a record is either wholly there or detected as torn.
JSONL writes each record as one line with one ``write`` call and flushes it at once (a killed
process loses nothing it has written; checkpoints are also ``fsync``ed, so a power cut loses
nothing a checkpoint covers); a last line without its newline, or that does not parse, is a
torn record, reported, while every earlier record stays readable and verifiable. SQLite
commits each record in its own transaction (WAL journal).

:func:`read_records` reads either back as ``(position, bytes)`` pairs, where the position is
the line number (JSONL) or the row id (SQLite), for error messages.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from accord.errors import LedgerError

__all__ = ["JsonlStorage", "LogStorage", "ReadLog", "SqliteStorage", "open_storage", "read_records"]


class LogStorage(Protocol):
    def append(self, record: bytes, *, durable: bool = False) -> None:
        """Append one record (canonical JSON, no newline); ``durable`` forces it to disk."""
        ...

    def close(self) -> None: ...


class JsonlStorage:
    """Records as lines of a file opened for appending."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def append(self, record: bytes, *, durable: bool = False) -> None:
        if b"\n" in record:
            raise LedgerError("a log record must be one line of canonical JSON")
        data = record + b"\n"
        written = os.write(self._fd, data)
        if written != len(data):  # pragma: no cover - a full disk; the tail is torn, say so
            raise LedgerError(f"short write to {self.path}: {written} of {len(data)} bytes")
        if durable:
            os.fsync(self._fd)

    def close(self) -> None:
        os.fsync(self._fd)
        os.close(self._fd)


class SqliteStorage:
    """Records as rows of ``records(position INTEGER PRIMARY KEY, data BLOB)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records (position INTEGER PRIMARY KEY, data BLOB NOT NULL)"
        )

    def append(self, record: bytes, *, durable: bool = False) -> None:
        self._db.execute("INSERT INTO records (data) VALUES (?)", (record,))
        if durable:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self._db.close()


def open_storage(path: Path) -> LogStorage:
    """SQLite for ``*.sqlite`` / ``*.db`` paths, JSONL otherwise."""
    if path.suffix in {".sqlite", ".db"}:
        return SqliteStorage(path)
    return JsonlStorage(path)


@dataclass
class ReadLog:
    """What was read back: complete records in order, and a torn tail if there was one."""

    records: list[tuple[int, bytes]] = field(default_factory=list)
    torn: str | None = None
    """Why the last record is incomplete, naming where it starts; ``None`` if it is not."""


def read_records(path: Path) -> ReadLog:
    """Every record of the log at ``path``; raises :class:`LedgerError` if unreadable."""
    if not path.exists():
        raise LedgerError(f"no log at {path}")
    if path.suffix in {".sqlite", ".db"}:
        return _read_sqlite(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
    log = ReadLog()
    lines = data.split(b"\n")
    tail = lines.pop()  # what follows the last newline: empty unless the last write was torn
    for number, line in enumerate(lines, start=1):
        log.records.append((number, line))
    if tail:
        log.torn = (
            f"line {len(lines) + 1} is a torn record ({len(tail)} bytes without a newline): "
            "the writer stopped in the middle of it"
        )
    return log


def _read_sqlite(path: Path) -> ReadLog:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT position, data FROM records ORDER BY position").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot read the SQLite log {path}: {exc}") from None
    return ReadLog(records=[(int(p), bytes(d)) for p, d in rows])
