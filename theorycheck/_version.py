"""Version of theorycheck."""

__version__ = "0.1.0"
