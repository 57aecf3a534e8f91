"""The ``forensic`` command group: the one place that knows about terminals and exit codes.

Every command module registers its commands on :data:`main`. A :class:`ForensicError` raised
anywhere below ends as one line on standard error, never a traceback, with exit code 2 (bad
input) or the error's own ``exit_code``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from forensic import __version__
from forensic.errors import ForensicError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print one ``error:`` line on standard error and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def y_unit_option(otherwise: str):
    """The ``--y-unit`` option: the intensity unit of IR files that do not name it.

    ``otherwise`` says what happens to a file that names another unit.
    """
    return click.option(
        "--y-unit",
        type=click.Choice(["absorbance", "transmittance", "percent_transmittance"]),
        default=None,
        help="The intensity unit of IR files that do not name it (instead of the reader's "
        f"guess); a file that names another unit {otherwise}.",
    )


LIBRARY_ENV = "FORENSIC_LIBRARY"
"""Environment variable naming the reference library a van's laptop identifies against."""

library_option = click.option(
    "--library",
    "library_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar=LIBRARY_ENV,
    help="Reference library: a compiled .flib (library build, publish --out) or a library "
    f"folder (compiled once into the cache) [env {LIBRARY_ENV}; default: the shipped library].",
)
"""The ``--library`` option of the commands that identify (``identify``, ``scan``)."""


class Stopped(KeyboardInterrupt):
    """The process was told to stop (SIGTERM: ``kill``, a shutdown; SIGHUP: the terminal was
    closed). Raised like Ctrl-C so that every ``finally`` runs: a driver switches its laser
    off and closes its port, a store rolls back what it had not committed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


#: The signals that stop a command the way Ctrl-C does (SIGHUP does not exist on Windows).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class ForensicGroup(click.Group):
    """A click group that turns the toolkit's errors into one clear line and an exit code."""

    def invoke(self, ctx: click.Context):
        previous = {}
        try:
            for signum in STOP_SIGNALS:
                previous[signum] = signal.signal(signum, _stop)
        except ValueError:  # not the main thread (an embedding program): leave them alone
            pass
        try:
            return super().invoke(ctx)
        except ForensicError as exc:
            fail(str(exc), getattr(exc, "exit_code", EXIT_BAD_INPUT))
        except Stopped as exc:
            fail(f"stopped by {signal.Signals(exc.signum).name}", 128 + exc.signum)
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@click.group(cls=ForensicGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="forensic")
def main() -> None:
    """Identify seized substances from Raman and infrared spectra."""
