"""Importers that turn other negotiation formats into accord scenario data."""

from accord.importers.genius import genius_scenario
from accord.importers.geniusweb import geniusweb_scenario

__all__ = ["genius_scenario", "geniusweb_scenario"]
