"""The audit's figures, drawn with matplotlib (no display needed) and returned as PNG bytes:
the utility space with the frontier, the agreement and the reference points; the concession
curves. With more than two parties the utility space is shown for the first and the last."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from accord.audit.report import AuditReport
from accord.pyplot import pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["concession_plot", "kpi_plot", "utility_space_plot"]

MARKERS = {
    "nash": ("Nash", "s"),
    "kalai_smorodinsky": ("Kalai-Smorodinsky", "D"),
    "egalitarian": ("egalitarian", "^"),
    "max_welfare": ("max welfare", "v"),
}


def _png(figure: Figure) -> bytes:
    plt = pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def utility_space_plot(report: AuditReport) -> bytes:
    parties = report.process.turn_order[:2]
    x, y = parties[0], parties[-1]
    figure, axes = pyplot().subplots(figsize=(5.5, 5))
    frontier = sorted(report.domain.pareto, key=lambda p: p.utilities[x])
    axes.plot(
        [p.utilities[x] for p in frontier],
        [p.utilities[y] for p in frontier],
        ".-",
        color="0.6",
        markersize=3,
        label="Pareto frontier",
    )
    for name, (label, marker) in MARKERS.items():
        point = getattr(report.domain, name)
        if point is not None:
            axes.scatter(point.utilities[x], point.utilities[y], marker=marker, s=60, label=label)
    for party, process in report.process.parties.items():
        if process.offers:
            axes.scatter(
                [o.utilities[x] for o in process.offers],
                [o.utilities[y] for o in process.offers],
                s=8,
                alpha=0.5,
                label=f"offers by {party}",
            )
    standing = report.outcome.parties
    axes.scatter(
        standing[x].utility,
        standing[y].utility,
        marker="*",
        s=220,
        color="crimson",
        label="agreement" if report.outcome.agreement else "no agreement",
        zorder=5,
    )
    axes.axvline(standing[x].reservation, color="0.8", linestyle=":")
    axes.axhline(standing[y].reservation, color="0.8", linestyle=":")
    axes.set_xlabel(f"utility of {x}")
    axes.set_ylabel(f"utility of {y}")
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.legend(fontsize=7, loc="lower left")
    axes.set_title("utility space")
    return _png(figure)


def concession_plot(report: AuditReport) -> bytes:
    parties = report.process.parties
    figure, axes = pyplot().subplots(1, 2, figsize=(10, 4), sharey=True)
    for party, process in parties.items():
        rounds = [o.round for o in process.offers]
        own = [o.utilities[party] for o in process.offers]
        axes[0].plot(rounds, own, ".-", label=party, markersize=3)
        others = [
            sum(u for p, u in o.utilities.items() if p != party) / max(1, len(o.utilities) - 1)
            for o in process.offers
        ]
        axes[1].plot(rounds, others, ".-", label=party, markersize=3)
    axes[0].set_title("own utility of own offers")
    axes[1].set_title("others' mean utility of the offers")
    for ax in axes:
        ax.set_xlabel("round")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("utility")
    return _png(figure)


def kpi_plot(report: AuditReport) -> bytes | None:
    """Each KPI's reported values by period against its target and threshold, one panel per
    KPI, every charter version in its own colour; ``None`` without a charter's reports."""
    lifecycle = report.lifecycle
    if lifecycle is None or not any(t.points for t in lifecycle.trajectories):
        return None
    names = list(dict.fromkeys(t.kpi for t in lifecycle.trajectories if t.points))
    figure, axes = pyplot().subplots(1, len(names), figsize=(4 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for t in (t for t in lifecycle.trajectories if t.kpi == name and t.points):
            label = f"v{t.version}"
            periods = [p.period for p in t.points]
            line = ax.plot(periods, [p.value for p in t.points], "o-", label=label)[0]
            colour = line.get_color()
            ax.axhline(t.target, color=colour, linestyle="--", linewidth=0.8)
            ax.axhline(t.threshold, color=colour, linestyle=":", linewidth=0.8)
            breaches = [p for p in t.points if p.breach]
            ax.scatter(
                [p.period for p in breaches],
                [p.value for p in breaches],
                s=90,
                facecolors="none",
                edgecolors="crimson",
                zorder=5,
            )
            ax.set_ylabel(f"{name} ({t.unit})")
            ax.set_title(f"{name}: {t.scope}", fontsize=9)
        ax.set_xlabel("period (dashed: target, dotted: threshold, circled: breach)", fontsize=7)
        ax.legend(fontsize=7)
    return _png(figure)
