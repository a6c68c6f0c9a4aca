"""A small XML tree that remembers the line of every element, for errors that point at it.

GENIUS files are plain XML without a DTD; a document type declaration (and with it every
entity definition) is refused, so no entity expansion can ever happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from accord.errors import GeniusImportError

__all__ = ["Node", "fail", "integer", "number", "parse_xml"]


@dataclass(slots=True)
class Node:
    """One element: its tag, attributes, line in the file and child elements (text is
    ignored: GENIUS keeps everything in attributes)."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)

    def all(self, tag: str) -> list[Node]:
        """The direct children with this tag, in file order."""
        return [child for child in self.children if child.tag == tag]

    def first(self, tag: str) -> Node | None:
        """The first direct child with this tag, if any."""
        return next((child for child in self.children if child.tag == tag), None)

    def describe(self) -> str:
        """``<tag name="...">`` naming the element in an error message."""
        for key in ("name", "index", "value"):
            if key in self.attrib:
                return f"<{self.tag} {key}={self.attrib[key]!r}>"
        return f"<{self.tag}>"


class _DoctypeRefused(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def parse_xml(path: Path) -> Node:
    """The root element of the file at ``path``; raises :class:`GeniusImportError` naming the
    file and line when it is not well-formed XML or declares a document type."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        node = Node(tag, attrib, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def doctype(*_args: object) -> None:
        raise _DoctypeRefused(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    try:
        with path.open("rb") as stream:
            parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise GeniusImportError(
            f"not well-formed XML ({expat.ErrorString(exc.code)})",
            source=str(path),
            line=exc.lineno,
        ) from None
    except _DoctypeRefused as exc:
        raise GeniusImportError(
            "a document type declaration was found; GENIUS files have none and accord refuses "
            "them (they can define entities)",
            source=str(path),
            line=exc.line,
        ) from None
    except OSError as exc:
        raise GeniusImportError(f"cannot read the file: {exc}", source=str(path)) from exc
    return roots[0]


def fail(path: Path, node: Node | None, message: str) -> GeniusImportError:
    """The error for ``message`` about ``node`` (its element and line) of the file at ``path``."""
    if node is None:
        return GeniusImportError(message, source=str(path))
    return GeniusImportError(message, source=str(path), element=node.describe(), line=node.line)


def number(path: Path, node: Node, attribute: str, default: str | None = None) -> float:
    """The attribute ``attribute`` of ``node`` as a finite float (``default`` when absent)."""
    text = node.attrib.get(attribute, default)
    if text is None:
        raise fail(path, node, f"the {attribute} attribute is missing")
    try:
        value = float(text)
    except ValueError:
        raise fail(path, node, f"{attribute} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise fail(path, node, f"{attribute} must be finite, got {text!r}")
    return value


def integer(path: Path, node: Node, attribute: str) -> int:
    """The attribute ``attribute`` of ``node`` as an integer."""
    text = node.attrib.get(attribute)
    try:
        return int(text)  # type: ignore[arg-type]  # None fails below like any bad text
    except (TypeError, ValueError):
        raise fail(path, node, f"{attribute} must be an integer, got {text!r}") from None
