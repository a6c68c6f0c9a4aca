"""A charter's monitor and its log: KPI reports checked per second, resuming a long log.

* monitor: ``Monitor.consider`` on ``--reports`` signed reports of distinct periods (each
  signature checked once, every rule of the charter, a breach alert signed for every tenth).
  The reference, timed in the same run, is PyNaCl's Ed25519 verify of the same envelopes:
  the floor of any monitor that checks signatures.
* resume: ``resume_recorder`` on a negotiation's log followed by ``--reports`` logged
  reports (it verifies the whole log first), against ``verify_log`` of the same log alone.

The machines are shared and noisy: the medians of ``--repeat`` runs are printed, with ratios.

    python bench/bench_monitor.py [--reports 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import structlog

from accord import load_scenario
from accord.broker import MemoryBus
from accord.ledger.canonical import signing_bytes
from accord.ledger.resume import resume_recorder
from accord.ledger.signing import signer_for, strict_b64decode
from accord.ledger.storage import open_storage
from accord.ledger.verify import verify_log
from accord.lifecycle import DAY_NS, Charter, Monitor
from accord.lifecycle.member import report_envelope
from accord.lifecycle.phase import seal_in_process
from accord.runner import identities_for, negotiate
from accord.wire import Envelope

ROOT = Path(__file__).resolve().parents[1]


async def sealed(folder: Path) -> tuple[Charter, dict[str, object], Path]:
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    identities = identities_for(scenario, {})
    log = folder / "log.jsonl"
    bus = MemoryBus()
    done = await negotiate(scenario, bus=bus, keys=identities, log=open_storage(log))
    assert done.result.outcome is not None  # noqa: S101  # the scenario agrees
    sealing = await seal_in_process(
        bus,
        scenario,
        done.result.outcome,
        negotiation_id=done.result.negotiation_id,
        identities=identities,
        log_path=log,
        starts_ns=0,
    )
    return sealing.charter, dict(identities), log


def reports(charter: Charter, identities: dict[str, object], count: int) -> list[Envelope]:
    sign = signer_for(identities["platform"])  # type: ignore[arg-type]
    return [
        report_envelope(
            charter,
            reporter="platform",
            kpi="joint_customers",
            period=period,
            value=100.0 if period % 10 == 0 else 250.0,  # one in ten a breach
            unit="customers",
            signer=sign,
        )
        for period in range(1, count + 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory() as tmp:
        charter, identities, log = asyncio.run(sealed(Path(tmp)))
        envelopes = reports(charter, identities, args.reports)
        keys = {p: identities[p].verify_key for p in charter.parties}  # type: ignore[attr-defined]
        host = signer_for(identities["host"])  # type: ignore[arg-type]
        far = int(charter.starts_ns) + (args.reports + 2) * 30 * DAY_NS
        monitor_s, nacl_s = [], []
        for _ in range(args.repeat):
            signed = [(signing_bytes(e), strict_b64decode(e.sig or "")) for e in envelopes]
            began = time.perf_counter()
            for data, sig in signed:
                keys["platform"].verify(data, sig)
            nacl_s.append(time.perf_counter() - began)
            # a fresh process's memory of verified signatures: none of these was seen
            from accord.ledger import signing  # noqa: PLC0415

            signing._VERIFIED._held.clear()  # the benchmark's own reset
            monitor = Monitor(charter, keys=keys, signer=host, now=lambda: far)
            began = time.perf_counter()
            for envelope in envelopes:
                monitor.consider(envelope)
            monitor_s.append(time.perf_counter() - began)
            assert len(monitor.observations) == args.reports  # noqa: S101
        recorder = resume_recorder(log, identities["recorder"])  # type: ignore[arg-type]
        for envelope in envelopes:
            recorder.record(envelope)
        recorder.close()
        resume_s, verify_s = [], []
        for _ in range(args.repeat):
            began = time.perf_counter()
            verify_log(log)
            verify_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            resume_recorder(log, identities["recorder"]).storage.close()  # type: ignore[arg-type]
            resume_s.append(time.perf_counter() - began)
    monitor_m, nacl_m = statistics.median(monitor_s), statistics.median(nacl_s)
    resume_m, verify_m = statistics.median(resume_s), statistics.median(verify_s)
    n = args.reports
    ratio = monitor_m / nacl_m
    print(f"monitor: {n / monitor_m:,.0f} reports/s (median of {args.repeat})")
    print(f"  Ed25519 verify alone: {n / nacl_m:,.0f}/s; monitor / verify time {ratio:.2f}x")
    resumed = f"resume a log of {n + 320:,} entries: {resume_m:.2f} s"
    print(f"{resumed}; verify alone {verify_m:.2f} s; ratio {resume_m / verify_m:.2f}x")


if __name__ == "__main__":
    main()
