"""Finding strategies and mechanisms by name: built-ins, entry points and import paths.

Names resolve in one namespace per kind. Built-ins come first; installed distributions add
more through the entry-point groups ``accord.strategies`` and ``accord.mechanisms``; a scenario
may also name any class by import path (``package.module:Class``). Every entry can also be
named with its source, ``builtin:<name>`` or ``<distribution>:<name>``: a plug-in named like
a built-in leaves the plain name to the built-in (never a silent overwrite; a warning names
the plug-in's qualified name), and a plain name several plug-ins define is an error that lists
theirs. A qualified name is looked up before an import path of the same spelling. A plug-in
that fails to import is reported with its name and cause, and every other name keeps working.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from accord.errors import PluginError
from accord.logs import get_logger

__all__ = ["BUILTIN", "PluginEntry", "Registry", "load_import_path"]

log = get_logger("accord.plugins")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PluginEntry(Generic[T]):
    """One named strategy or mechanism and where it came from."""

    name: str
    factory: Callable[..., T]
    summary: str
    source: str
    """``builtin``, ``entry point (<distribution>)`` or ``import path``."""


def load_import_path(path: str) -> Any:
    """The object named by ``package.module:attribute``; raises :class:`PluginError`."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise PluginError(f"an import path looks like 'package.module:Class', got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"cannot import module {module_name!r} of {path!r}: {exc}") from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise PluginError(f"module {module_name!r} has no attribute {attribute!r}") from None
    return target


def _summary(obj: object) -> str:
    summary = getattr(obj, "summary", None)
    if isinstance(summary, str):
        return summary
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


BUILTIN = "builtin"
"""The qualifier of accord's own names: ``builtin:conceder`` is always the built-in."""


class Registry(Generic[T]):
    """Named factories of one kind (``strategy`` or ``mechanism``).

    Every entry also has a qualified name, ``builtin:<name>`` or ``<distribution>:<name>``,
    which always means that one. A plug-in named like a built-in does not replace it: the
    plain name stays the built-in (with a warning naming the plug-in, once) and the plug-in
    is ``<distribution>:<name>``. A plain name that several plug-ins define means none of
    them; the error lists their qualified names."""

    def __init__(
        self, kind: str, plural: str, group: str, builtins: Mapping[str, Callable[..., T]]
    ) -> None:
        self.kind = kind
        self.plural = plural
        self.group = group
        self._builtins = dict(builtins)
        self._entries: dict[str, PluginEntry[T]] | None = None
        self._qualified: dict[str, PluginEntry[T]] = {}
        self.problems: dict[str, str] = {}
        """Names that cannot be used, with the reason (import failure or collision)."""
        self.notices: dict[str, str] = {}
        """Plain names that mean the built-in although a plug-in has them too, with how to
        name the plug-in."""
        self._warned: set[str] = set()

    def _load(self) -> dict[str, PluginEntry[T]]:
        if self._entries is not None:
            return self._entries
        entries = {
            name: PluginEntry(name, factory, _summary(factory), "builtin")
            for name, factory in self._builtins.items()
        }
        self._qualified = {
            f"{BUILTIN}:{name}": PluginEntry(f"{BUILTIN}:{name}", e.factory, e.summary, e.source)
            for name, e in entries.items()
        }
        claimed: dict[str, list[str]] = {}
        for ep in entry_points(group=self.group):
            dist = ep.dist.name if ep.dist is not None else "unknown-distribution"
            source = f"entry point ({dist})"
            try:
                factory = ep.load()
            except Exception as exc:  # one broken plug-in must not hide the rest
                self.problems[ep.name] = (
                    f"{self.kind} {ep.name!r} from {source} failed to import: {exc!r}"
                )
                log.exception("plugin_import_failed", kind=self.kind, name=ep.name, error=repr(exc))
                continue
            qualified = f"{dist}:{ep.name}"
            self._qualified[qualified] = PluginEntry(qualified, factory, _summary(factory), source)
            owners = claimed.setdefault(ep.name, [])
            owners.append(dist)
            if ep.name in self._builtins:
                self.notices[ep.name] = (
                    f"{self.kind} name {ep.name!r} is accord's built-in and also a plug-in of "
                    f"{', '.join(owners)}; {ep.name!r} means the built-in, "
                    + " or ".join(f"{owner}:{ep.name}" for owner in owners)
                    + " the plug-in"
                )
                continue
            if len(owners) > 1:
                entries.pop(ep.name, None)
                self.problems[ep.name] = (
                    f"{self.kind} name {ep.name!r} is defined by several plug-ins ("
                    + ", ".join(f"entry point ({owner})" for owner in owners)
                    + "); name the one you mean: "
                    + " or ".join(f"{owner}:{ep.name}" for owner in owners)
                )
                log.error("plugin_name_collision", kind=self.kind, name=ep.name, sources=owners)
                continue
            entries[ep.name] = PluginEntry(ep.name, factory, _summary(factory), source)
        self._entries = entries
        return entries

    def entries(self) -> list[PluginEntry[T]]:
        """Every usable entry, sorted by name; a plug-in whose plain name is taken (by a
        built-in or another plug-in) is listed by its qualified name."""
        listed = dict(self._load())
        clashing = set(self.notices) | set(self.problems)
        for qualified, entry in self._qualified.items():
            prefix, _, name = qualified.partition(":")
            if name in clashing and prefix != BUILTIN:
                listed[qualified] = entry
        return sorted(listed.values(), key=lambda e: e.name)

    def get(self, name: str) -> PluginEntry[T]:
        entries = self._load()
        if ":" in name:
            if name in self._qualified:
                return self._qualified[name]
            if name.startswith(f"{BUILTIN}:"):
                known = ", ".join(sorted(self._builtins))
                raise PluginError(f"no built-in {self.kind} {name!r}; the built-ins: {known}")
            target = load_import_path(name)
            if not callable(target):
                raise PluginError(f"{self.kind} {name!r} is not a class or factory")
            return PluginEntry(name, target, _summary(target), "import path")
        if name in self.problems:
            raise PluginError(self.problems[name])
        if name not in entries:
            known = ", ".join(sorted(entries))
            raise PluginError(f"unknown {self.kind} {name!r}; known {self.plural}: {known}")
        if name in self.notices and name not in self._warned:
            self._warned.add(name)
            log.warning("plugin_name_is_a_builtin", kind=self.kind, detail=self.notices[name])
        return entries[name]

    def create(self, name: str, params: Mapping[str, Any]) -> T:
        """A new instance of ``name`` built with keyword ``params``."""
        entry = self.get(name)
        try:
            return entry.factory(**params)
        except (TypeError, ValueError) as exc:
            raise PluginError(
                f"bad parameters {dict(params)!r} for {self.kind} {name!r}: {exc}"
            ) from exc
        except Exception as exc:  # a plug-in's constructor is someone else's code
            raise PluginError(
                f"{self.kind} {name!r} could not be created (its constructor raised "
                f"{type(exc).__name__}: {exc})"
            ) from exc
