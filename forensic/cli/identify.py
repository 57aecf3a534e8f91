"""Commands of the identify area (registered on forensic.cli.app.main)."""

from forensic.cli.app import main  # noqa: F401
