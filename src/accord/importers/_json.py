"""Reading GeniusWeb JSON files with errors that name the file and the JSON path.

Numbers are read as :class:`~decimal.Decimal`, as GeniusWeb reads them (``BigDecimal``), so
that sums and comparisons are exact; ``NaN`` and ``Infinity`` are refused, and so is a key
given twice in one object (which a JSON parser would otherwise silently collapse).

A :class:`Where` is a position in a parsed file: the file and the JSON path to a value
(``$.LinearAdditiveUtilitySpace.issueWeights["departure airport"]``). Its accessors check the
type of what they read and raise :class:`~accord.errors.GeniusWebImportError` naming both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from accord.errors import GeniusWebImportError

__all__ = ["Constant", "Object", "Where", "parse_json"]

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Object(dict[str, Any]):
    """A JSON object, remembering the keys that were given more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> Object:
    found = Object()
    seen: list[str] = []
    for key, value in pairs:
        if key in found:
            seen.append(key)
        found[key] = value
    found.duplicates = tuple(seen)
    return found


class Constant(str):
    """``NaN``, ``Infinity`` or ``-Infinity``, which Python's parser reads but JSON does not
    allow: kept as found, so that reading it as a number fails with its path."""

    __slots__ = ()


def parse_json(path: Path) -> Any:
    """The JSON value in the file at ``path``; raises :class:`GeniusWebImportError` naming the
    file and line when it cannot be read or is not valid JSON."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeniusWebImportError(f"cannot read the file: {exc}", source=str(path)) from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_object,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=Constant,
        )
    except json.JSONDecodeError as exc:
        raise GeniusWebImportError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", source=str(path), line=exc.lineno
        ) from None


def _step(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return f".{key}" if _SIMPLE_KEY.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"


def _kind(value: object) -> str:
    if isinstance(value, Constant):
        return f"{value}, which JSON does not allow"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Decimal):
        return f"the number {value}"
    names = {dict: "an object", list: "an array", bool: str(value).lower()}
    return names.get(type(value), "null")


@dataclass(frozen=True, slots=True)
class Where:
    """A value of a parsed file and its JSON path."""

    file: Path
    value: Any
    path: str = "$"

    def fail(self, message: str) -> GeniusWebImportError:
        """The error for ``message`` about this value."""
        return GeniusWebImportError(message, source=str(self.file), path=self.path)

    def at(self, key: str | int, value: Any) -> Where:
        return Where(self.file, value, self.path + _step(key))

    def mapping(self, *, required: tuple[str, ...] = (), allowed: tuple[str, ...] = ()) -> Object:
        """This value as an object with the ``required`` keys and no keys beyond those and
        ``allowed`` (when either is given)."""
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, found {_kind(self.value)}")
        value: Object = self.value  # type: ignore[assignment]  # parse_json makes only Objects
        if value.duplicates:
            raise self.fail(f"the key {value.duplicates[0]!r} is given more than once")
        for key in required:
            if key not in value:
                raise self.fail(f"the key {key!r} is missing")
        known = required + allowed
        if known:
            extra = [key for key in value if key not in known]
            if extra:
                raise self.at(extra[0], value[extra[0]]).fail(
                    f"unknown key {extra[0]!r}; expected {list(known)!r}"
                )
        return value

    def get(self, key: str) -> Where:
        """The value under ``key`` of this object (which must have it)."""
        value = self.mapping()
        if key not in value:
            raise self.fail(f"the key {key!r} is missing")
        return self.at(key, value[key])

    def items(self) -> Iterator[tuple[str, Where]]:
        """The keys of this object with their values, in file order."""
        for key, value in self.mapping().items():
            yield key, self.at(key, value)

    def elements(self) -> Iterator[Where]:
        """The elements of this array, in order."""
        if not isinstance(self.value, list):
            raise self.fail(f"expected an array, found {_kind(self.value)}")
        for k, value in enumerate(self.value):
            yield self.at(k, value)

    def string(self) -> str:
        if not isinstance(self.value, str) or isinstance(self.value, Constant):
            raise self.fail(f"expected a string, found {_kind(self.value)}")
        return self.value

    def number(self) -> Decimal:
        if not isinstance(self.value, Decimal):
            raise self.fail(f"expected a number, found {_kind(self.value)}")
        return self.value

    def unit(self) -> Decimal:
        """This value as a number in ``[0, 1]``."""
        value = self.number()
        if not 0 <= value <= 1:
            raise self.fail(f"expected a number in [0, 1], found {value}")
        return value
