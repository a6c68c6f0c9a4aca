"""Importers that turn other negotiation formats into accord scenario data."""

from accord.importers.genius import genius_scenario

__all__ = ["genius_scenario"]
