"""The Pareto frontier of a set of utility vectors, in bounded memory.

An outcome is on the frontier when no other outcome is at least as good for every party and
better for one. Outcomes with the same utility vector are one point: the frontier keeps the one
that comes first in enumeration order.

:func:`pareto_indices` works on one ``(n, k)`` matrix; :class:`FrontierBuilder` folds chunks of
an outcome space into a running frontier, so a space of any size is scanned with memory bounded
by the chunk and the frontier (the frontier of a union is the frontier of the chunks' frontiers).

First, a cheap column-wise pass removes every row that one of a few strong rows dominates.
Then, for two parties: a sort and one sweep. For three or more: candidates in decreasing order
of their utility sum (a row can only be dominated by one with a larger or equal sum), taken a
block at a time; each block's undominated rows join the frontier and eliminate, in one
vectorised pass, every remaining candidate they dominate.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FrontierBuilder", "pareto_indices"]

Matrix = npt.NDArray[np.float64]
Indices = npt.NDArray[np.int64]

BLOCK = 512
"""Candidates examined together when there are three or more parties."""
PAIRS = 1 << 22
"""Most candidate x frontier pairs compared in one vectorised step (bounds temporary memory)."""


def pareto_indices(utilities: Matrix, index: Indices | None = None) -> Indices:
    """Positions (or ``index`` entries) of the Pareto-optimal rows of ``utilities``, one per
    distinct utility vector (the smallest index), in increasing index order."""
    utilities = np.asarray(utilities, dtype=np.float64)
    if utilities.ndim != 2 or utilities.shape[1] < 1:
        raise ValueError(f"utilities must be an (n, parties) matrix, got {utilities.shape}")
    if index is None:
        index = np.arange(utilities.shape[0], dtype=np.int64)
    if utilities.shape[0] == 0:
        return index[:0]
    alive = _survivors_of_anchors(utilities)
    u, idx = utilities[alive], index[alive]
    keep = _two(u, idx) if u.shape[1] <= 2 else _many(u, idx)
    return np.sort(idx[keep])


def _survivors_of_anchors(u: Matrix) -> Indices:
    """Rows not dominated by a few strong rows (the best for each party, for the sum and for
    some fixed positive weightings): a cheap column-wise pass that removes most of a space
    before the exact algorithm runs. Any row may serve as an anchor, optimal or not."""
    k = u.shape[1]
    weightings = [np.ones(k)] + [np.eye(k)[j] for j in range(k)]
    weightings += list(np.random.default_rng(0).random((4, k)) + 0.05)
    anchors = {int(np.argmax(u @ w)) for w in weightings}
    alive = np.arange(len(u), dtype=np.int64)
    columns = [np.ascontiguousarray(u[:, j]) for j in range(k)]
    for a in sorted(anchors):
        anchor = u[a]
        ge = np.ones(len(alive), dtype=bool)
        equal = np.ones(len(alive), dtype=bool)
        for j in range(k):
            ge &= anchor[j] >= columns[j]
            equal &= anchor[j] == columns[j]
        keep = ~(ge & ~equal)
        alive = alive[keep]
        columns = [c[keep] for c in columns]
    return alive


def _two(u: Matrix, index: Indices) -> Indices:
    """Sort by the first utility (descending), then the second (descending), then the index;
    a row is optimal when its second utility beats every earlier row's."""
    second = u[:, 1] if u.shape[1] == 2 else np.zeros(u.shape[0])
    order = np.lexsort((index, -second, -u[:, 0]))
    ys = second[order]
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], ys[:-1])))
    return order[ys > best_before]


def _many(u: Matrix, index: Indices) -> Indices:
    # decreasing sum, ties in index order; a row dominating another has a sum at least as large
    # (floating-point addition is monotone), so only rows of equal sum can come in the wrong
    # order, and the final pass over the frontier itself settles those
    order = np.lexsort((index, -u.sum(axis=1)))
    frontier: list[Indices] = []
    candidates = order
    while len(candidates):
        # every candidate left is undominated by the frontier so far
        block, candidates = candidates[:BLOCK], candidates[BLOCK:]
        values = u[block]
        fresh = ~_dominates(values, values).any(axis=1)
        block, values = block[fresh], values[fresh]
        frontier.append(block)
        if len(candidates):
            candidates = candidates[~_dominated_by(u[candidates], values)]
    found = np.concatenate(frontier)
    found = found[~_dominated_by(u[found], u[found])]
    # identical vectors: keep the smallest index
    keys = [index[found]] + [u[found, j] for j in reversed(range(u.shape[1]))]
    ordered = found[np.lexsort(keys)]
    same = np.zeros(len(ordered), dtype=bool)
    same[1:] = np.all(u[ordered[1:]] == u[ordered[:-1]], axis=1)
    return ordered[~same]


def _dominates(rows: Matrix, by: Matrix) -> npt.NDArray[np.bool_]:
    """``out[i, j]``: ``by[j]`` is at least as good as ``rows[i]`` everywhere and better once."""
    ge = by[None, :, :] >= rows[:, None, :]
    gt = by[None, :, :] > rows[:, None, :]
    return np.asarray(np.all(ge, axis=2) & np.any(gt, axis=2), dtype=np.bool_)


def _dominated_by(rows: Matrix, front: Matrix) -> npt.NDArray[np.bool_]:
    """Which ``rows`` some row of ``front`` dominates, in steps of bounded size."""
    out = np.zeros(len(rows), dtype=bool)
    step = max(1, PAIRS // max(1, len(front) * rows.shape[1]))
    for start in range(0, len(rows), step):
        out[start : start + step] = _dominates(rows[start : start + step], front).any(axis=1)
    return out


class FrontierBuilder:
    """The running frontier of chunks of utility vectors, each with its enumeration index."""

    def __init__(self, parties: int) -> None:
        self.utilities: Matrix = np.empty((0, parties))
        self.index: Indices = np.empty(0, dtype=np.int64)

    def add(self, utilities: Matrix, index: Indices) -> None:
        """Fold in a chunk: ``utilities`` ``(n, parties)`` of the outcomes ``index``."""
        local = pareto_indices(utilities, np.arange(len(index), dtype=np.int64))
        merged_u = np.concatenate((self.utilities, utilities[local]))
        merged_i = np.concatenate((self.index, index[local]))
        # chunks come in enumeration order, so position order is enumeration order
        keep = pareto_indices(merged_u, np.arange(len(merged_i), dtype=np.int64))
        self.utilities, self.index = merged_u[keep], merged_i[keep]
