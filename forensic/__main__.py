"""The ``forensic`` program: ``python -m forensic``, and the console script, which calls
:func:`run`.

Ctrl-C, SIGTERM and SIGHUP are taken over first, before the command line is loaded (NumPy,
SQLite, click and the commands take a third of a second), so that a command stopped at any
moment ends with one ``error:`` line and its exit code, never a traceback. Only the
interpreter's own start (a few tens of milliseconds) comes before.
"""

import signal
import sys

from forensic.errors import Interrupted


def run() -> None:
    """Run the command line with Ctrl-C and the stopping signals handled from the start."""
    try:
        # Ctrl-C too: Python's own KeyboardInterrupt, passing through an eval() while modules
        # load, can make the interpreter end itself by SIGINT instead of exiting with 130
        for signum in (signal.SIGINT, *Interrupted.SIGNALS):
            signal.signal(signum, Interrupted.raise_on_signal)
        from forensic.cli import main  # noqa: PLC0415  (after the handlers: loading takes a while)

        main()
    except KeyboardInterrupt as exc:  # before the command's own handling took over, or after
        stop = exc if isinstance(exc, Interrupted) else Interrupted()
        sys.stderr.write(f"error: {stop}\n")
        sys.exit(stop.exit_code)


if __name__ == "__main__":
    run()
