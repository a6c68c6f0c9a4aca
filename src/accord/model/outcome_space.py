"""The outcome space of a negotiation: the cartesian product of its issues.

Outcomes travel as ``{issue: value}`` mappings (on the wire, in files) and are computed on as
rows of a float64 matrix with one column per issue (see :mod:`accord.model.issues` for the
column encoding). Whole spaces enumerate as integer index matrices, never as Python lists, and
refuse with :class:`~accord.errors.OutcomeSpaceTooLarge` beyond a limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt

from accord.errors import OutcomeError, OutcomeSpaceTooLarge
from accord.model.issues import CategoricalIssue, ContinuousIssue, IntegerIssue, Value

__all__ = ["DEFAULT_MAX_OUTCOMES", "Outcome", "OutcomeSpace"]

DEFAULT_MAX_OUTCOMES = 10_000_000
"""Default limit on the number of outcomes :meth:`OutcomeSpace.enumerate` will list."""

Outcome = Mapping[str, Value]
"""An outcome as the parties see it: a value for every issue."""

AnyIssue = CategoricalIssue | IntegerIssue | ContinuousIssue


class OutcomeSpace:
    """An ordered tuple of issues; immutable. Enumeration and value tables are cached."""

    def __init__(
        self, issues: Sequence[AnyIssue], *, max_outcomes: int = DEFAULT_MAX_OUTCOMES
    ) -> None:
        if not issues:
            raise OutcomeError("an outcome space needs at least one issue, got none")
        names = [i.name for i in issues]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise OutcomeError(f"issue names must be unique, found duplicates {dupes!r}")
        self.issues: tuple[AnyIssue, ...] = tuple(issues)
        self.names: tuple[str, ...] = tuple(names)
        self.max_outcomes = max_outcomes
        self._position = {n: k for k, n in enumerate(names)}
        self._coders = tuple((issue.name, issue.coder()) for issue in self.issues)
        self._members: tuple[tuple[str, frozenset[Value]], ...] | None = None
        if all(isinstance(issue, CategoricalIssue) for issue in self.issues):
            self._members = tuple(
                (issue.name, frozenset(issue.values))  # type: ignore[union-attr]
                for issue in self.issues
            )
        self._shape = tuple(issue.cardinality for issue in self.issues)
        self._cardinality = math.prod(self._shape)
        self._reversed_shape = self._shape[::-1]
        self._tables: tuple[tuple[str, Sequence[Value]], ...] | None = None
        """Each issue's values in enumeration order, when no issue is continuous."""
        if self.is_discrete:
            self._tables = tuple(
                (i.name, i.values if isinstance(i, CategoricalIssue) else range(i.min, i.max + 1))
                for i in self.issues
                if not isinstance(i, ContinuousIssue)
            )

    def __repr__(self) -> str:
        return f"OutcomeSpace({list(self.names)!r}, size={self.cardinality})"

    @property
    def cardinality(self) -> int:
        """How many outcomes the space enumerates to (continuous issues count grid points)."""
        return self._cardinality

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of enumerated values of each issue, in issue order."""
        return self._shape

    def axis_values(self, k: int) -> npt.NDArray[np.float64]:
        """The enumerated values of issue ``k`` in the numeric encoding."""
        issue = self.issues[k]
        return issue.values_of(np.arange(issue.cardinality))

    @property
    def is_discrete(self) -> bool:
        return not any(isinstance(i, ContinuousIssue) for i in self.issues)

    def issue(self, name: str) -> AnyIssue:
        try:
            return self.issues[self._position[name]]
        except KeyError:
            raise OutcomeError(
                f"unknown issue {name!r}; the issues are {list(self.names)!r}"
            ) from None

    # -- single outcomes -------------------------------------------------------------------

    def encode(self, outcome: Mapping[str, object]) -> npt.NDArray[np.float64]:
        """Validate ``outcome`` and return its numeric row; raises :class:`OutcomeError`."""
        return np.array(self.encode_row(outcome), dtype=np.float64)

    def encode_row(self, outcome: Mapping[str, object]) -> list[float]:
        """:meth:`encode` as a Python list: the fast path for one outcome."""
        if type(outcome) is not dict and not isinstance(outcome, Mapping):  # dict: no ABC check
            raise OutcomeError(f"an outcome must be a mapping of issue to value, got {outcome!r}")
        try:
            if len(outcome) == len(self._coders):
                return [code(outcome[name]) for name, code in self._coders]
        except KeyError:
            pass
        missing = [n for n in self.names if n not in outcome]
        extra = [k for k in outcome if k not in self._position]
        raise OutcomeError(
            f"an outcome must give exactly the issues {list(self.names)!r}; "
            f"missing {missing!r}, unknown {extra!r}"
        )

    def check(self, outcome: Mapping[str, object]) -> None:
        """Raise :class:`OutcomeError` unless ``outcome`` is in the space: :meth:`encode_row`
        without the row. A host checks every offer; over categorical issues a dict is checked
        by set membership, without a call per issue (the values it admits are the coders')."""
        members = self._members
        if members is not None and type(outcome) is dict and len(outcome) == len(members):
            try:
                for name, values in members:
                    if outcome[name] not in values:
                        break
                else:
                    return
            except (KeyError, TypeError):
                pass
        self.encode_row(outcome)  # the whole check, and the error that says what is wrong

    def decode(self, row: npt.NDArray[np.float64] | Sequence[float]) -> dict[str, Value]:
        """The ``{issue: value}`` form of a numeric row."""
        return {i.name: i.decode(float(v)) for i, v in zip(self.issues, row, strict=True)}

    def outcome_at(self, index: int) -> dict[str, Value]:
        """The outcome at position ``index`` of :meth:`enumerate` (computed, not looked up,
        so strategies never need the whole value matrix)."""
        index = int(index)
        if not 0 <= index < self._cardinality:
            raise OutcomeError(f"outcome index {index} is outside [0, {self.cardinality})")
        positions = []
        for size in self._reversed_shape:
            index, position = divmod(index, size)
            positions.append(position)
        positions.reverse()
        tables = self._tables
        if tables is not None:  # no continuous issue: each value is an item of its table
            return {name: table[p] for (name, table), p in zip(tables, positions, strict=True)}
        return {
            issue.name: issue.at(position)
            for issue, position in zip(self.issues, positions, strict=True)
        }

    def __contains__(self, outcome: object) -> bool:
        try:
            self.encode(outcome)  # type: ignore[arg-type]  # any object may be asked about
        except OutcomeError:
            return False
        return True

    # -- whole space -----------------------------------------------------------------------

    def check_size(self, limit: int | None = None) -> int:
        """Return the cardinality, or raise if it exceeds ``limit`` (default ``max_outcomes``)."""
        limit = self.max_outcomes if limit is None else limit
        size = self.cardinality
        if size > limit:
            raise OutcomeSpaceTooLarge(
                f"the outcome space {list(self.names)!r} has {size:,} outcomes, more than the "
                f"limit of {limit:,}; raise max_outcomes or coarsen the issues"
            )
        return size

    def enumerate(self, limit: int | None = None) -> npt.NDArray[np.int32]:
        """All outcomes as an ``(n, issues)`` int32 matrix of per-issue indices (row-major,
        last issue varying fastest). Raises :class:`OutcomeSpaceTooLarge` beyond ``limit``."""
        self.check_size(limit)
        return self.indices

    def rows(self, start: int, stop: int) -> npt.NDArray[np.float64]:
        """Outcomes ``start`` to ``stop - 1`` of :meth:`enumerate` as a float64 value matrix,
        computed from their positions: a chunk of a space too large to hold at once."""
        stop = min(stop, self.cardinality)
        if not 0 <= start <= stop:
            raise OutcomeError(f"outcome range [{start}, {stop}) is outside the space")
        flat = np.arange(start, stop, dtype=np.int64)
        out = np.empty((stop - start, len(self.issues)), dtype=np.float64)
        for k in reversed(range(len(self.issues))):
            flat, position = np.divmod(flat, self.issues[k].cardinality)
            out[:, k] = self.issues[k].values_of(position)
        return out

    @cached_property
    def indices(self) -> npt.NDArray[np.int32]:
        self.check_size()
        shape = self.shape
        grids = np.indices(shape, dtype=np.int32)
        return grids.reshape(len(shape), -1).T.copy()

    @cached_property
    def values(self) -> npt.NDArray[np.float64]:
        """All outcomes as an ``(n, issues)`` float64 matrix in the numeric row encoding."""
        idx = self.indices
        out = np.empty(idx.shape, dtype=np.float64)
        for k, issue in enumerate(self.issues):
            out[:, k] = issue.values_of(idx[:, k])
        return out
