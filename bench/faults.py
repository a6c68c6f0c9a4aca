"""Fault trials: a broker SIGKILLed mid-negotiation and started again, repeated, as a table.

The negotiation is the one the fault was reported with: platform-isv, both seats a plug-in
that thinks 10 ms a turn (``plugin_strategy:Thinking``), 300 rounds, turns of 5 s. A mosquitto
of this script's own (a free port; with the persistence ``accord broker-config`` writes, or
without any, so it forgets every session) is SIGKILLed once the log holds 300 entries and
started again ``--down`` seconds later. Each run is compared with the same scenario run
fault-free over the memory bus: the same reason, rounds and agreement, a log that ``accord
log verify`` finds valid, and a transcript without a gap or a repeat in any sender's
sequence numbers.

    python bench/faults.py [--runs 5] [--down 1.5]

The faults that end the same way every time (truncated logs, forged reveals, a dead host,
stopped or hung agents, a killed recorder, a poisoned envelope) are tests, named in
bench/README.md; this script repeats the one that depends on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from accord.broker.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "bench")}


class Broker:
    def __init__(self, folder: Path, *, persistence: bool) -> None:
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        (folder / "data").mkdir()
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "set_tcp_nodelay true"]
        if os.geteuid() == 0:
            lines.append("user root")
        if persistence:
            lines += [
                "persistence true",
                f"persistence_location {folder / 'data'}/",
                "autosave_on_changes true",
                "autosave_interval 1",
            ]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # our own broker
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"mosquitto did not listen on {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def accord(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )


def scenario(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "scenarios" / "platform-isv.yaml").read_text())
    for party in data["parties"]:
        party["strategy"] = {"name": "plugin_strategy:Thinking"}
    data["mechanism"]["deadline"] = {"rounds": 300, "turn_timeout": 5}
    path = folder / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def trial(folder: Path, deal: Path, *, persistence: bool, processes: bool, down: float) -> str:
    """One run with the fault; what differs from the fault-free run, or ``same``."""
    broker = Broker(folder, persistence=persistence)
    broker.start()
    out = folder / "run"
    extra = ["--processes"] if processes else []
    run = accord("run", deal, "--broker", f"mqtt://127.0.0.1:{broker.port}", "--out", out, *extra)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and run.poll() is None:
            logs = list(folder.glob(".accord-run-*/log.jsonl"))
            if logs and logs[0].read_bytes().count(b"\n") >= 300:
                break
            time.sleep(0.02)
        else:
            return "ended before the fault"
        broker.kill()
        time.sleep(down)
        broker.start()
        code = run.wait(180)
    finally:
        if run.poll() is None:
            run.kill()
        broker.kill()
    if code != 0:
        return f"exit {code}"
    return compare(folder.parent / "calm" / "result.json", out)


def compare(calm: Path, out: Path) -> str:
    expected = json.loads(calm.read_text())
    got = json.loads((out / "result.json").read_text())
    for key in ("reason", "rounds", "outcome"):
        if got[key] != expected[key]:
            return f"{key}: {got[key]!r} (fault-free: {expected[key]!r})"
    seqs: dict[str, list[int]] = {}
    for line in (out / "transcript.jsonl").read_text().splitlines():
        envelope = json.loads(line)
        seqs.setdefault(envelope["sender"], []).append(envelope["seq"])
    for sender, numbers in seqs.items():
        if sorted(numbers) != list(range(len(numbers))):
            return f"{sender}: a gap or a repeat in the transcript"
    verify = subprocess.run(  # our own command
        [sys.executable, "-m", "accord", "log", "verify", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    if verify.returncode != 0:
        return f"log verify: {verify.stderr.strip()[:120]}"
    return "same"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--down", type=float, default=1.5, help="seconds the broker is down")
    args = parser.parse_args()
    if not Path(MOSQUITTO).exists():
        raise SystemExit("mosquitto is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        deal = scenario(root)
        calm = accord("run", deal, "--bus", "memory", "--out", root / "calm")
        if calm.wait(180) != 0:
            raise SystemExit("the fault-free run failed")
        facts = json.loads((root / "calm" / "result.json").read_text())
        print(
            f"fault-free: {facts['reason']} after {facts['rounds']} rounds, "
            f"{facts['messages']} messages"
        )
        print("\n| broker | parties | runs | same as fault-free | otherwise |")
        print("| --- | --- | ---: | ---: | --- |")
        for persistence in (True, False):
            for processes in (False, True):
                outcomes = []
                for number in range(args.runs):
                    folder = root / f"{persistence}-{processes}-{number}"
                    folder.mkdir()
                    outcomes.append(
                        trial(
                            folder,
                            deal,
                            persistence=persistence,
                            processes=processes,
                            down=args.down,
                        )
                    )
                others = sorted({o for o in outcomes if o != "same"})
                print(
                    f"| {'persistent' if persistence else 'forgetful'} "
                    f"| {'a process each' if processes else 'in one process'} | {args.runs} "
                    f"| {outcomes.count('same')} | {'; '.join(others) or '-'} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
