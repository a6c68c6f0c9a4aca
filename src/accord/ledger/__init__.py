"""The transparency log: signed envelopes in an append-only RFC 9162 Merkle tree.

Every envelope of a negotiation is signed by its sender (Ed25519 over RFC 8785 canonical
JSON), appended by an independent recorder to a log whose Merkle root the recorder signs in
checkpoints, and can later be verified by anyone holding the log: what was said, by whom, in
what order, and that nothing was changed afterwards.
"""

from accord.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

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
