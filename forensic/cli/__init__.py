"""Command-line interface: ``forensic`` and its sub-commands (one module per area)."""

from forensic.cli import custody, files, identify, instrument, library, library_admin  # noqa: F401  (register)
from forensic.cli.app import main

__all__ = ["main"]
