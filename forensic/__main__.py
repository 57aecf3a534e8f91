"""``python -m forensic`` runs the command-line interface."""

from forensic.cli import main

main()
