"""A mosquitto configuration with one identity per participant and per-topic permissions,
scoped to the negotiations it is written for.

``accord broker-config SCENARIO [SCENARIO ...] --out DIR [--seed N ...]`` writes
``mosquitto.conf``, ``passwd`` (mosquitto 2's PBKDF2-SHA512 format), ``acl`` and
``credentials.json`` (the generated passwords and broker URLs, readable by its owner only; hand
each organisation its own line). The negotiations are every (scenario, seed) pair (by default
each scenario's own seed), by their ids (:meth:`Scenario.negotiation_id`), and every rule names
one of them literally: nobody may publish or read in a negotiation id that is not listed (two
scenarios that give one id with different parties are refused). In it:

* each party may publish only under its own name (``accord/v1/<negotiation>/from/<party>/``
  ``to/host``, ``to/recorder`` and ``all``) and read only what is sent to it and the
  broadcasts, and only in the negotiations of the scenarios it is a party of (a party of
  several scenarios is one identity with the rules of all of them);
* ``host`` may publish under its name and read everything in every listed negotiation (it
  runs the recorder);
* ``recorder`` (``accord recorder``) may read everything in every listed negotiation and
  publish under its name (receipts);
* ``auditor`` may read everything in every listed negotiation and publish nothing;
* anonymous clients are refused. ``TCP_NODELAY`` is on, the queue limit is raised from 1000
  (mosquitto drops QoS 1 messages beyond it) and persistence saves on every change, so a
  restarted broker keeps what it had queued.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from accord.broker.topics import PREFIX
from accord.errors import InputError
from accord.ledger.records import RECORDER
from accord.scenarios import Scenario
from accord.wire import HOST

__all__ = ["AUDITOR", "mosquitto_hash", "negotiations", "write_broker_config"]

AUDITOR = "auditor"
_SERVICES = (HOST, RECORDER, AUDITOR)
"""The broker identities that are not parties, in the order the ACL lists them."""


def mosquitto_hash(password: str) -> str:
    """``password`` as mosquitto 2's ``mosquitto_passwd`` stores it."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def negotiations(
    scenarios: Scenario | Sequence[Scenario],
    seeds: Sequence[int] | None = None,
    *,
    sources: Sequence[str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The party ids of every negotiation (each scenario with each of ``seeds``, default its
    own seed), by negotiation id, in order. ``sources`` name the scenarios in errors (their
    files; default their names). Raises :class:`InputError` for an id that is not one topic
    level, for two scenarios that give one id with different parties, and for a party id that
    is one of the broker's own identities."""
    listed = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    if not listed:
        raise InputError("no scenario to write a broker configuration for")
    names = list(sources) if sources is not None else [repr(s.name) for s in listed]
    found: dict[str, tuple[str, ...]] = {}
    source_of: dict[str, str] = {}
    for scenario, source in zip(listed, names, strict=True):
        parties = tuple(party.id for party in scenario.parties)
        for party in parties:
            if party in _SERVICES:
                raise InputError(
                    f"{source}: party id {party!r} is the broker identity of the {party}; "
                    "rename the party"
                )
        for seed in seeds if seeds else [scenario.seed]:
            negotiation_id = scenario.negotiation_id(seed)
            if not negotiation_id or any(c in negotiation_id for c in "+#/"):
                raise InputError(
                    f"{source}: negotiation id {negotiation_id!r} is not one MQTT topic level"
                )
            known = found.get(negotiation_id)
            if known is not None and set(known) != set(parties):
                raise InputError(
                    f"{source_of[negotiation_id]} and {source} both give negotiation id "
                    f"{negotiation_id!r} but with different parties "
                    f"({', '.join(known)} / {', '.join(parties)}); rename one scenario"
                )
            found.setdefault(negotiation_id, parties)
            source_of.setdefault(negotiation_id, source)
    return found


def _acl(negotiation_parties: dict[str, tuple[str, ...]]) -> str:
    lines = ["# accord: who may publish and read what (see accord.broker.acl)"]
    lines += [f"# negotiations: {', '.join(negotiation_parties)}", ""]
    of_party: dict[str, list[str]] = {}
    for negotiation_id, parties in negotiation_parties.items():
        for party in parties:
            of_party.setdefault(party, []).append(negotiation_id)
    for party, negotiation_ids in of_party.items():
        lines.append(f"user {party}")
        for nid in negotiation_ids:
            lines += [
                # only what the protocol lets a party send: to the host (answers, records, its
                # last will), to the recorder (proof requests) and to all (its reveal)
                f"topic write {PREFIX}/{nid}/from/{party}/to/{HOST}",
                f"topic write {PREFIX}/{nid}/from/{party}/to/{RECORDER}",
                f"topic write {PREFIX}/{nid}/from/{party}/all",
                f"topic read {PREFIX}/{nid}/from/+/to/{party}",
                f"topic read {PREFIX}/{nid}/from/+/all",
            ]
        lines.append("")
    for service in _SERVICES:
        lines.append(f"user {service}")
        for nid in negotiation_parties:
            if service != AUDITOR:
                lines.append(f"topic write {PREFIX}/{nid}/from/{service}/#")
            lines.append(f"topic read {PREFIX}/{nid}/#")
        lines.append("")
    return "\n".join(lines)


def write_broker_config(
    scenarios: Scenario | Sequence[Scenario],
    out: Path,
    *,
    seeds: Sequence[int] | None = None,
    sources: Sequence[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 1883,
    run_as: str | None = None,
) -> dict[str, dict[str, str]]:
    """Write the configuration for the :func:`negotiations` of ``scenarios`` and ``seeds``
    into ``out``; return the credentials by identity. ``run_as`` is the user a root-started
    mosquitto switches to (default: mosquitto's own, which must then be able to read ``out``
    and write ``out/data``)."""
    covered = negotiations(scenarios, seeds, sources=sources)
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    parties = dict.fromkeys(party for ids in covered.values() for party in ids)
    names = [*parties, *_SERVICES]
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    (out / "passwd").write_text("".join(f"{n}:{mosquitto_hash(p)}\n" for n, p in passwords.items()))
    (out / "acl").write_text(_acl(covered))
    conf = f"""# accord broker configuration for {", ".join(covered)}
per_listener_settings false
listener {port} {host}
allow_anonymous false
password_file {(out / "passwd").resolve()}
acl_file {(out / "acl").resolve()}
set_tcp_nodelay true
max_queued_messages 100000
persistence true
persistence_location {(out / "data").resolve()}/
autosave_on_changes true
autosave_interval 1
"""
    if run_as is not None:
        conf += f"user {run_as}\n"
    (out / "mosquitto.conf").write_text(conf)
    credentials = {
        name: {
            "username": name,
            "password": password,
            "url": f"mqtt://{name}:{password}@{host}:{port}",
        }
        for name, password in passwords.items()
    }
    path = out / "credentials.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(credentials, handle, indent=2)
    return credentials
