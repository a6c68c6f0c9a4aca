"""matplotlib's pyplot for accord's figures: drawing to memory or files, never to a screen,
and imported on first use. Importing it takes about a third of a second, which every
``accord`` process (agents included) would otherwise pay at start-up."""

from __future__ import annotations

from types import ModuleType

__all__ = ["pyplot"]


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` with the ``Agg`` backend."""
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")  # before pyplot is imported
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt
