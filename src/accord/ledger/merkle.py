"""The Merkle tree of a transparency log, as in RFC 9162 (Certificate Transparency 2.0).

SHA-256; a leaf hashes as ``SHA-256(0x00 || data)``, an interior node as
``SHA-256(0x01 || left || right)``, the empty tree as ``SHA-256("")``; a tree of ``n`` leaves
splits at the largest power of two smaller than ``n`` (RFC 9162 section 2.1.1). Inclusion and
consistency proofs are generated and verified by the algorithms of sections 2.1.3 and 2.1.4.

Two policy choices, both checked by ``tests/test_merkle.py`` against the transparency-dev
vectors:

* **Hash length.** Every hash (leaf, root, proof node) must be exactly 32 bytes; anything else
  fails verification, even where the sizes alone would decide (two equal "roots" of 12 bytes
  are not a valid proof that a 1-entry tree is consistent with itself).
* **Consistency from size 0.** RFC 9162 defines consistency proofs for ``0 < size1 <= size2``
  only. A proof from the empty tree proves nothing, so it fails, except for the trivial
  ``size1 == size2 == 0`` with both roots equal to the empty-tree hash and an empty proof.
  An auditor must start from a non-empty checkpoint.

Verification functions never raise on bad input; they return ``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree that keeps the hash of every complete aligned subtree, so that
    appending costs amortised O(1) hashes and a root or proof for any size costs O(log n)."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]
        """``_levels[h][i]``: hash of the 2**h leaves starting at leaf ``i * 2**h``."""

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, data: bytes) -> int:
        """Add a leaf for ``data``; return its index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, hashed: bytes) -> int:
        """Add a leaf whose hash is ``hashed``; return its index."""
        index = self.size
        self._levels[0].append(hashed)
        height, position = 0, index
        while position % 2 == 1:
            level = self._levels[height]
            parent = node_hash(level[position - 1], level[position])
            height += 1
            position //= 2
            if height == len(self._levels):
                self._levels.append([])
            self._levels[height].append(parent)
        return index

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def _hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``; ``start`` is aligned as in every RFC split."""
        n = end - start
        if n & (n - 1) == 0:  # a complete subtree: stored
            height = n.bit_length() - 1
            return self._levels[height][start >> height]
        k = _split(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def root(self) -> bytes:
        return self.root_at(self.size)

    def root_at(self, size: int) -> bytes:
        """The root the tree had when it held its first ``size`` leaves."""
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Proof that leaf ``index`` is in the tree of the first ``size`` leaves."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if index < start + k:
            return [*self._path(index, start, start + k), self._hash(start + k, end)]
        return [*self._path(index, start + k, end), self._hash(start, start + k)]

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2``."""
        size2 = self.size if size2 is None else size2
        self._check_size(size2)
        if not 0 < size1 <= size2:
            raise ValueError(f"no consistency proof from size {size1} to size {size2}")
        return self._subproof(size1, 0, size2, complete=True)

    def _subproof(self, m: int, start: int, end: int, *, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._hash(start, end)]
        k = _split(n)
        if m <= k:
            return [
                *self._subproof(m, start, start + k, complete=complete),
                self._hash(start + k, end),
            ]
        return [
            *self._subproof(m - k, start + k, end, complete=False),
            self._hash(start, start + k),
        ]

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not in [0, {self.size}]")


def _tree(leaf_hashes: Sequence[bytes]) -> MerkleTree:
    tree = MerkleTree()
    for hashed in leaf_hashes:
        tree.append_hash(hashed)
    return tree


def root(leaves: Sequence[bytes]) -> bytes:
    """The root of the tree whose leaves are the entries ``leaves`` (raw data)."""
    return _tree([leaf_hash(d) for d in leaves]).root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    return _tree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int) -> list[bytes]:
    return _tree(leaf_hashes).consistency_proof(size1)


def _hashes_ok(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: is ``leaf_hash`` at ``index`` of the tree with ``root``?"""
    if not _hashes_ok(leaf_hash, root, *proof) or not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree (``size1``, ``root1``) a prefix of the tree
    (``size2``, ``root2``)? See the module docstring for the two policy choices."""
    if not _hashes_ok(root1, root2, *proof) or not 0 <= size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2 and (size1 > 0 or root1 == EMPTY_ROOT)
    if size1 == 0 or not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0
