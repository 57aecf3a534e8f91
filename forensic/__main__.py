"""The ``forensic`` program: ``python -m forensic``, and the console script, which calls
:func:`run`.

Ctrl-C, SIGTERM and SIGHUP are taken over first, before the command line is loaded (NumPy,
SQLite, click and the commands take a third of a second), so that a command stopped at any
moment ends with its ``error:`` lines and its exit code, never a traceback: stopped while the
command line loads, ``error: interrupted`` and ``nothing was recorded``, as every stop says
it (:func:`~forensic.errors.error_lines`). Only the interpreter's own start (a few tens of
milliseconds) comes before.

Once the command has ended, its work done and its exit status decided, they are ignored
while the interpreter shuts down: a signal that comes then (a ``kill`` sent as the command
finished) neither prints a traceback nor changes the status of a command that completed.
"""

import signal
import sys
from collections.abc import Callable

from forensic.errors import Interrupted, error_lines, recording_nothing

_STOPPING = (signal.SIGINT, *Interrupted.SIGNALS)


def run(main: Callable[[], object] | None = None) -> None:
    """Run the command line with Ctrl-C and the stopping signals handled from the start.

    Parameters
    ----------
    main : callable, optional
        The command line (default :func:`forensic.cli.main`, loaded once the signals are
        taken over); it ends by raising :class:`SystemExit` with the command's status.
    """
    ended = False

    def stop(signum: int, frame: object) -> None:
        # a signal handled once the command has ended comes too late to stop anything
        if not ended:
            raise Interrupted(signum)

    try:
        with recording_nothing():  # nothing that records has run yet
            # Ctrl-C too: Python's own KeyboardInterrupt, passing through an eval() while
            # modules load, can make the interpreter end itself by SIGINT instead of exiting
            # with 130
            for signum in _STOPPING:
                signal.signal(signum, stop)
            if main is None:
                from forensic.cli import main  # noqa: PLC0415  (after the handlers: slow)
        try:
            main()
        finally:
            # First, and without a call (Python runs a signal's handler at a call): from
            # here on the command's status is decided, and a signal is late.
            ended = True
            for signum in _STOPPING:  # and so through the interpreter's shutdown
                signal.signal(signum, signal.SIG_IGN)
    except KeyboardInterrupt as exc:  # before the command's own handling took over
        stopped = exc if isinstance(exc, Interrupted) else Interrupted()
        sys.stderr.write("".join(f"{line}\n" for line in error_lines(stopped)))
        sys.exit(stopped.exit_code)


if __name__ == "__main__":
    run()
