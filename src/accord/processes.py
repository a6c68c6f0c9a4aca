"""One process per organisation: the host (with a recorder of its own), each party apart, and
optionally an independent recorder (``accord recorder``) that parties ask for receipts.

Every party's agent runs where its organisation runs it and talks to the others only through
the broker. Identities come from a key directory (``accord keys new``): the host reads every
party's ``<party>.pub`` (so it can check their signatures) and its own ``host.key`` and
``recorder.key``; an agent reads only its own ``<party>.key``. ``accord run --processes``
shows the same on one machine: it makes the keys, starts the host and one ``accord agent``
process per party, and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from nacl.signing import VerifyKey

from accord.agents import STRATEGIES, Agent
from accord.broker import Bus
from accord.errors import InputError
from accord.ledger.keys import decode_public_key, load_keys, save_key_pair
from accord.ledger.receipt_client import ReceiptsFetched, fetch_receipts
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.service import RecorderService
from accord.ledger.signing import Signer, Verifier, signer_for
from accord.ledger.storage import LogStorage
from accord.lifecycle.kpis import CharterSpec
from accord.lifecycle.member import AgreedTerms, answer_sign
from accord.lifecycle.phase import first_charter, seal_and_record, wants_charter
from accord.lifecycle.sealing import Sealing
from accord.mandate.build import approver_for
from accord.runner import Negotiation, serve
from accord.scenarios import Scenario
from accord.wire import HOST

__all__ = [
    "REAP_TERM_S",
    "RECORDER_LINGER_S",
    "REVEAL_WAIT_S",
    "charter_wait",
    "host_charter",
    "host_process",
    "make_keys",
    "party_agent",
    "party_index",
    "party_process",
    "public_key_in",
    "reap",
    "recorder_process",
    "spawn_parties",
]

REVEAL_WAIT_S = 5.0
"""How long the host keeps recording after the result, waiting for the parties' reveals."""

RECORDER_LINGER_S = 10.0
"""How long ``accord recorder`` keeps going after the result and the last envelope (reveals
and proof requests come then)."""


def _public_keys(scenario: Scenario, keys: Path) -> dict[str, VerifyKey]:
    public = {}
    for party in scenario.parties:
        path = keys / f"{party.id}.pub"
        if party.public_key is not None:
            public[party.id] = decode_public_key(party.public_key, what=f"key of {party.id!r}")
        elif path.exists():
            public[party.id] = decode_public_key(path.read_text().strip(), what=str(path))
        else:
            raise InputError(
                f"no public key for party {party.id!r}: put it in the scenario (public_key) "
                f"or in {path}"
            )
    return public


async def host_process(
    scenario: Scenario, *, bus: Bus, keys: Path, log: LogStorage, seed: int | None = None
) -> Negotiation:
    """Host the negotiation and record it; the parties run elsewhere."""
    seed = scenario.seed if seed is None else seed
    own = load_keys(keys, [HOST, RECORDER])
    missing = [name for name in (HOST, RECORDER) if name not in own]
    if missing:
        raise InputError(
            f"no private key for {missing!r} in {keys} (make one with: accord keys new "
            f"{missing[0]} --out {keys})"
        )
    public = _public_keys(scenario, keys)
    public[HOST] = own[HOST].verify_key
    recorder = Recorder(
        negotiation_id=scenario.negotiation_id(seed), storage=log, key=own[RECORDER], keys=public
    )
    return await serve(
        scenario,
        seed=seed,
        bus=bus,
        signer=signer_for(own[HOST]),
        verifier=Verifier(public),
        recorder=recorder,
        reveal_wait=REVEAL_WAIT_S,
    )


async def recorder_process(
    scenario: Scenario,
    *,
    bus: Bus,
    keys: Path,
    log: LogStorage,
    seed: int | None = None,
    linger: float = RECORDER_LINGER_S,
    give_up: float | None = None,
) -> int:
    """Record the negotiation as a participant of its own (see
    :mod:`accord.ledger.service`) and answer proof requests; return the entries logged."""
    seed = scenario.seed if seed is None else seed
    own = load_keys(keys, [RECORDER])
    if RECORDER not in own:
        raise InputError(
            f"no private key {keys / (RECORDER + '.key')} (make one with: accord keys new "
            f"{RECORDER} --out {keys})"
        )
    public = _public_keys(scenario, keys)
    public[HOST] = public_key_in(keys, HOST)
    recorder = Recorder(
        negotiation_id=scenario.negotiation_id(seed), storage=log, key=own[RECORDER], keys=public
    )
    service = RecorderService(recorder, bus, signer_for(own[RECORDER]), linger=linger)
    await service.run(give_up=give_up)
    return service.entries


def charter_wait(scenario: Scenario) -> float:
    """How long a party's own process waits, after the result, for the charter's ``sign``:
    the host first waits up to :data:`REVEAL_WAIT_S` for the reveals."""
    return REVEAL_WAIT_S + (scenario.charter or CharterSpec()).sign_timeout + 2.0


async def host_charter(
    scenario: Scenario, negotiation: Negotiation, *, bus: Bus, keys: Path, log_path: Path
) -> Sealing | None:
    """The keeper's side of the charter phase (the parties answer from their own processes,
    :func:`party_process`), appended to the host's log; ``None`` when the scenario wants no
    charter or the negotiation ended without agreement."""
    charter = first_charter(negotiation, scenario)
    if charter is None:
        return None
    own = load_keys(keys, [HOST, RECORDER])
    return await seal_and_record(
        bus,
        charter,
        keeper=own[HOST],
        recorder=own[RECORDER],
        party_keys=_public_keys(scenario, keys),
        log_path=log_path,
    )


def public_key_in(keys: Path, name: str) -> VerifyKey:
    path = keys / f"{name}.pub"
    if not path.exists():
        raise InputError(
            f"no public key for {name!r}: put it in {path} (the {name}.pub that whoever runs "
            f"the {name} made with accord keys new {name}; see docs/protocol.md, Keys)"
        )
    return decode_public_key(path.read_text().strip(), what=str(path))


def party_index(scenario: Scenario, party_id: str) -> int:
    """The position of ``party_id`` among ``scenario``'s parties; raises
    :class:`~accord.errors.InputError` naming the parties there are."""
    index = next((i for i, p in enumerate(scenario.parties) if p.id == party_id), None)
    if index is None:
        known = [p.id for p in scenario.parties]
        raise InputError(f"party {party_id!r} is not in the scenario; its parties are {known!r}")
    return index


def party_agent(
    scenario: Scenario,
    index: int,
    *,
    bus: Bus,
    seed: int,
    signer: Signer | None,
    host_key: VerifyKey | None = None,
) -> Agent:
    """The agent of the party at ``index``, as its own process runs it (it reveals its
    profile after the result, and checks the host's envelopes against ``host_key``)."""
    party = scenario.parties[index]
    space = scenario.outcome_space()
    return Agent(
        party_id=party.id,
        strategy=STRATEGIES.create(party.strategy.name, party.strategy.params),
        profile=party.profile.bind(space),
        space=space,
        bus=bus,
        negotiation_id=scenario.negotiation_id(seed),
        rng=np.random.default_rng([seed, index]),
        signer=signer,
        reveal=True,
        mandate=party.mandate,
        approver=approver_for(party),
        host_key=host_key,
    )


async def party_process(
    scenario: Scenario,
    party_id: str,
    *,
    bus: Bus,
    keys: Path,
    seed: int | None = None,
    receipts: Path | None = None,
) -> ReceiptsFetched | None:
    """Take part in the negotiation as ``party_id`` until the host sends the result; with
    ``receipts``, then ask the recorder (``accord recorder``) for a receipt of every message
    the party sent and keep them there."""
    seed = scenario.seed if seed is None else seed
    index = party_index(scenario, party_id)
    own = load_keys(keys, [party_id])
    if party_id not in own:
        raise InputError(
            f"no private key {keys / (party_id + '.key')} (make one with: accord keys new "
            f"{party_id} --out {keys}, and hand {party_id}.pub to the host)"
        )
    host_key = public_key_in(keys, HOST)  # the agent answers only what the host signed
    agent = party_agent(
        scenario, index, bus=bus, seed=seed, signer=signer_for(own[party_id]), host_key=host_key
    )
    recorder_key = public_key_in(keys, RECORDER) if receipts is not None else None
    await agent.run()
    agreement = (agent.result or {}).get("agreement")
    if wants_charter(scenario) and isinstance(agreement, dict):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(charter_wait(scenario)):
                await answer_sign(
                    bus,
                    party=party_id,
                    negotiation_id=scenario.renegotiates or agent.negotiation_id,
                    policy=AgreedTerms(party_id, agreement),
                    signer=signer_for(own[party_id]),
                    keeper_key=host_key,
                )
    if receipts is None or recorder_key is None:
        return None
    return await fetch_receipts(
        bus=bus,
        negotiation_id=agent.negotiation_id,
        session=agent.session,
        party=party_id,
        signer=signer_for(own[party_id]),
        first_seq=agent.next_seq,
        message_ids=agent.sent,
        recorder_key=recorder_key,
        out=receipts,
    )


def spawn_parties(
    scenario_path: Path, scenario: Scenario, broker: str, keys: Path, seed: int | None
) -> list[subprocess.Popen[bytes]]:
    """Start one ``accord agent`` process per party of ``scenario``."""
    extra = ["--seed", str(seed)] if seed is not None else []
    return [
        subprocess.Popen(  # noqa: S603  # our own command, arguments from the scenario
            [
                sys.executable,
                "-m",
                "accord",
                "agent",
                str(scenario_path),
                "--party",
                party.id,
                "--broker",
                broker,
                "--keys",
                str(keys),
                *extra,
            ],
            env=os.environ.copy(),
        )
        for party in scenario.parties
    ]


def make_keys(scenario: Scenario) -> Path:
    """A fresh private directory with a key pair for every party, the host and the recorder."""
    directory = Path(tempfile.mkdtemp(prefix="accord-keys-"))
    for name in [p.id for p in scenario.parties] + [HOST, RECORDER]:
        save_key_pair(name, directory)
    return directory


REAP_TERM_S = 2.0
"""How long a process told to terminate gets before it is killed."""


def reap(processes: list[subprocess.Popen[bytes]], grace: float) -> list[int | None]:
    """The exit codes of ``processes`` within ``grace`` seconds in all; any still running
    then (hung, or stopped by ``SIGSTOP``) is terminated, killed if it does not end within
    :data:`REAP_TERM_S`, and reported as ``None``. Never raises for a process that will not
    end: what the negotiation recorded matters more."""
    deadline = time.monotonic() + grace
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(process.wait(max(deadline - time.monotonic(), 0.0)))
            continue
        except subprocess.TimeoutExpired:
            pass
        process.terminate()
        try:
            process.wait(REAP_TERM_S)
        except subprocess.TimeoutExpired:
            process.kill()  # a stopped process does not act on SIGTERM until continued
            process.wait()
        codes.append(None)
    return codes
