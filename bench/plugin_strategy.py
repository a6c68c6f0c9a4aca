"""A plug-in strategy for the benchmarks: accord's Boulware, defined outside the package.

``executor="auto"`` runs accord's own strategies unguarded and every other one as a plug-in
(guarded by the watchdog, or on a worker thread): naming this one (``plugin_strategy:Boulware``)
measures what a researcher's own strategy costs, with the same decisions as the built-in.
"""

from __future__ import annotations

from accord.agents import Boulware as BuiltinBoulware


class Boulware(BuiltinBoulware):
    """The built-in Boulware, as a plug-in."""
