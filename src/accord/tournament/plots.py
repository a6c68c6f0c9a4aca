"""The tournament's figures (PNG, matplotlib without a display): per strategy, the mean
utility and the agreement rate, each with its 95% confidence interval."""

from __future__ import annotations

from pathlib import Path

from accord.pyplot import pyplot
from accord.tournament.summary import METRICS, StrategySummary

__all__ = ["PLOTS", "remove_plots", "write_plots"]

PLOTS = {"utility": "utility.png", "agreement": "agreement.png"}
"""The metric each figure shows, and its file name."""


def _bars(path: Path, summaries: list[StrategySummary], metric: str) -> None:
    names = [s.strategy for s in summaries]
    estimates = [s.estimates[metric] for s in summaries]
    means = [e.mean if e.mean is not None else 0.0 for e in estimates]
    below = [e.mean - e.low if e.mean is not None and e.low is not None else 0.0 for e in estimates]
    above = [
        e.high - e.mean if e.mean is not None and e.high is not None else 0.0 for e in estimates
    ]
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(max(4.0, 0.9 * len(names) + 2), 3.6))
    axes.bar(names, means, yerr=[below, above], capsize=4, color="#4c72b0")
    axes.set_ylabel(METRICS[metric])
    axes.set_title(f"{METRICS[metric]} per strategy (95% CI)")
    axes.tick_params(axis="x", labelrotation=30)
    figure.savefig(path, format="png", dpi=96, bbox_inches="tight")
    plt.close(figure)


def write_plots(out: Path, summaries: list[StrategySummary]) -> list[Path]:
    """Write the figures into ``out``; return their paths."""
    written = []
    for metric, name in PLOTS.items():
        _bars(out / name, summaries, metric)
        written.append(out / name)
    return written


def remove_plots(out: Path) -> None:
    """Remove figures an earlier run left in ``out`` (they would show fewer negotiations than
    the summary now holds)."""
    for name in PLOTS.values():
        (out / name).unlink(missing_ok=True)
