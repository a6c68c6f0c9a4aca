"""An example accord strategy plug-in: :class:`SplitTheDifference`."""

from accord_example_strategy.split import SplitTheDifference

__all__ = ["SplitTheDifference"]
