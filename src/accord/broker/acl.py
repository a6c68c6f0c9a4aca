"""A mosquitto configuration with one identity per participant and per-topic permissions.

``accord broker-config SCENARIO --out DIR`` writes ``mosquitto.conf``, ``passwd`` (mosquitto
2's PBKDF2-SHA512 format), ``acl`` and ``credentials.json`` (the generated passwords and
broker URLs, readable by its owner only; hand each organisation its own line). In it:

* each party may publish only under its own name (``accord/v1/+/from/<party>/#``) and read
  only what is sent to it and the broadcasts;
* ``host`` may publish under its name and read everything (it runs the recorder);
* ``recorder`` (``accord recorder``) may read everything and publish under its name (receipts);
* ``auditor`` may read everything and publish nothing;
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
from pathlib import Path

from accord.ledger.records import RECORDER
from accord.scenarios import Scenario
from accord.wire import HOST

__all__ = ["AUDITOR", "mosquitto_hash", "write_broker_config"]

AUDITOR = "auditor"


def mosquitto_hash(password: str) -> str:
    """``password`` as mosquitto 2's ``mosquitto_passwd`` stores it."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _acl(scenario: Scenario) -> str:
    lines = ["# accord: who may publish and read what (see accord.broker.acl)"]
    for party in scenario.parties:
        lines += [
            f"user {party.id}",
            # only what the protocol lets a party send: to the host (answers, records, its
            # last will), to the recorder (proof requests) and to all (its reveal)
            f"topic write accord/v1/+/from/{party.id}/to/{HOST}",
            f"topic write accord/v1/+/from/{party.id}/to/{RECORDER}",
            f"topic write accord/v1/+/from/{party.id}/all",
            f"topic read accord/v1/+/from/+/to/{party.id}",
            "topic read accord/v1/+/from/+/all",
            "",
        ]
    lines += [
        f"user {HOST}",
        f"topic write accord/v1/+/from/{HOST}/#",
        "topic read accord/v1/#",
        "",
    ]
    lines += [
        f"user {RECORDER}",
        f"topic write accord/v1/+/from/{RECORDER}/#",
        "topic read accord/v1/#",
        "",
    ]
    lines += [f"user {AUDITOR}", "topic read accord/v1/#", ""]
    return "\n".join(lines)


def write_broker_config(
    scenario: Scenario,
    out: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 1883,
    run_as: str | None = None,
) -> dict[str, dict[str, str]]:
    """Write the configuration into ``out``; return the credentials by identity. ``run_as``
    is the user a root-started mosquitto switches to (default: mosquitto's own, which must
    then be able to read ``out`` and write ``out/data``)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    names = [p.id for p in scenario.parties] + [HOST, RECORDER, AUDITOR]
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    (out / "passwd").write_text("".join(f"{n}:{mosquitto_hash(p)}\n" for n, p in passwords.items()))
    (out / "acl").write_text(_acl(scenario))
    conf = f"""# accord broker configuration for {scenario.name!r}
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
