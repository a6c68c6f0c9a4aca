"""The Merkle tree against the transparency-dev RFC 6962 vectors, plus properties."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from conftest import ROOT

CORPUS = Path(os.environ.get("ACCORD_CORPUS", str(ROOT.parent / "shared" / "corpus")))
VECTORS = CORPUS / "merkle" / "testdata"


def vectors(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json")) if VECTORS.is_dir() else []
    if not files and os.environ.get("CI"):
        raise RuntimeError(f"CI must have the corpus: no {VECTORS / kind}")
    if not files:
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"set ACCORD_CORPUS: no {VECTORS / kind}")
            )
        ]
    return [pytest.param(f, id=str(f.relative_to(VECTORS / kind))) for f in files]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def b64_list(values: list[str] | None) -> list[bytes]:
    return [b64(v) for v in values or []]


# Vectors whose expectation our documented policy overrides (see accord.ledger.merkle):
# hashes must be 32 bytes, even when equal sizes would otherwise decide.
POLICY_OVERRIDES = {"additional/sizes-are-equal-one-and-proof-is-empty.json"}


@pytest.mark.corpus
@pytest.mark.parametrize("path", vectors("inclusion"))
def test_inclusion_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    ok = verify_inclusion(
        b64(v["leafHash"]), v["leafIdx"], v["treeSize"], b64_list(v["proof"]), b64(v["root"])
    )
    assert ok is (not v["wantErr"]), v["desc"]


@pytest.mark.corpus
@pytest.mark.parametrize("path", vectors("consistency"))
def test_consistency_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    ok = verify_consistency(
        v["size1"], v["size2"], b64_list(v["proof"]), b64(v["root1"]), b64(v["root2"])
    )
    name = str(path.relative_to(VECTORS / "consistency"))
    if name in POLICY_OVERRIDES:
        assert not v["wantErr"]
        assert ok is False, "hash-length policy: 12-byte roots are refused"
    else:
        assert ok is (not v["wantErr"]), v["desc"]


@pytest.mark.corpus
def test_the_vectors_exercise_both_policies() -> None:
    if not VECTORS.is_dir():
        pytest.skip(f"set ACCORD_CORPUS: no {VECTORS}")
    names = {p.name for p in (VECTORS / "consistency" / "additional").glob("*.json")}
    assert "sizes-are-equal-one-and-proof-is-empty.json" in names  # hash length
    assert "consistency-check-on-empty-tree-size1-is-zero-is-useless.json" in names  # size 0


def test_consistency_from_the_empty_tree_is_refused() -> None:
    tree = MerkleTree()
    for i in range(5):
        tree.append(bytes([i]))
    assert not verify_consistency(0, 5, [], EMPTY_ROOT, tree.root())
    assert not verify_consistency(0, 5, [EMPTY_ROOT], EMPTY_ROOT, tree.root())
    assert verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ValueError, match="no consistency proof"):
        tree.consistency_proof(0)


def test_known_roots() -> None:
    assert root([]) == hashlib.sha256(b"").digest()
    a, b, c = b"a", b"b", b"c"
    expected = node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))
    assert root([a, b, c]) == expected
    # the RFC 6962 reference tree of the transparency-dev tests, 8 leaves
    leaves = [
        bytes.fromhex(h)
        for h in [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
    ]
    assert root(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def test_root_at_every_size_matches_a_fresh_tree() -> None:
    data = [i.to_bytes(2, "big") for i in range(70)]
    tree = MerkleTree()
    for d in data:
        tree.append(d)
    for k in range(71):
        assert tree.root_at(k) == root(data[:k])


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 130), data=st.data())
def test_generated_proofs_verify_and_any_change_breaks_them(size: int, data: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = MerkleTree()
    for h in hashes:
        tree.append_hash(h)
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index)
    assert proof == inclusion_proof(hashes, index)
    assert verify_inclusion(hashes[index], index, size, proof, tree.root())
    assert not verify_inclusion(hashes[index], index, size, proof, flip(tree.root(), data))
    assert not verify_inclusion(flip(hashes[index], data), index, size, proof, tree.root())
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:k], flip(proof[k], data), *proof[k + 1 :]]
        assert not verify_inclusion(hashes[index], index, size, bad, tree.root())
    size1 = data.draw(st.integers(1, size))
    consistency = tree.consistency_proof(size1)
    assert consistency == consistency_proof(hashes, size1)
    assert verify_consistency(size1, size, consistency, tree.root_at(size1), tree.root())
    assert not verify_consistency(
        size1, size, consistency, flip(tree.root_at(size1), data), tree.root()
    )
    if consistency:
        k = data.draw(st.integers(0, len(consistency) - 1))
        bad = [*consistency[:k], flip(consistency[k], data), *consistency[k + 1 :]]
        assert not verify_consistency(size1, size, bad, tree.root_at(size1), tree.root())


def flip(value: bytes, data: st.DataObject) -> bytes:
    position = data.draw(st.integers(0, len(value) - 1))
    bit = data.draw(st.integers(0, 7))
    changed = bytearray(value)
    changed[position] ^= 1 << bit
    return bytes(changed)


def test_bad_input_is_false_not_an_exception() -> None:
    h = leaf_hash(b"x")
    assert not verify_inclusion(h, 0, 0, [], h)
    assert not verify_inclusion(h, -1, 1, [], h)
    assert not verify_inclusion(h[:31], 0, 1, [], h[:31])
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_consistency(2, 1, [], h, h)
