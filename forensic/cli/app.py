"""The ``forensic`` command group: the one place that knows about terminals and exit codes.

Every command module registers its commands on :data:`main`. A :class:`ForensicError` raised
anywhere below ends as its ``error:`` line on standard error, and a line for each part it has
beside it (:func:`error_lines`), never a traceback, with the exit code :func:`exit_code`
chooses for it: 5 when a measured spectrum was kept in a file, else the error's own
``exit_code``, else 2 (bad input). Ctrl-C, SIGTERM and SIGHUP end a command as an
:class:`~forensic.errors.Interrupted` does: in the same lines (``error: interrupted``, a
warning, what the command had recorded, what to do), with exit code 128 + the signal (130,
143, 129). The ``forensic`` program (:func:`forensic.__main__.run`) handles them from its
first moment, before this is loaded; while :data:`main` runs, it does (:class:`_Stops`), so
that click, whose code runs between the toolkit's, never ends one with ``Aborted!``.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from forensic import __version__
from forensic.arguments import with_command_line_options
from forensic.commands import is_placeholder
from forensic.errors import (
    ForensicError,
    Interrupted,
    SaidInParts,
    error_lines,
    holding_signals,
    recording_nothing,
)
from forensic.spectrum import STATED_Y_UNITS

EXIT_BAD_INPUT = 2
EXIT_SPECTRUM_KEPT = 5
"""A scan measured a spectrum the store did not take, and kept it in a file: record the file
(the message gives the command); DO NOT MEASURE AGAIN. So does ``acquire`` that kept one it
could not write to its ``--out`` (the message gives the command that copies it there). Its own
code, not :data:`EXIT_TEMPFAIL`'s "nothing was done: run the same command again", which here
would fire the laser a second time on a sample the first exposure may have used up. After the
toolkit's own 1 to 4, and clear of sysexits' 64 to 78 (each of which says something else) and
of the shell's 126 and up."""
EXIT_TEMPFAIL = 75
"""The store could not record the work now, and nothing is lost or measured: it stayed locked,
or its disk is full: run the same command again once it can. So does a command that measured a
spectrum it could keep nowhere (the error's ``spectrum_lost``): ``acquire`` not at its
``--out``, a scan not in the store, nor either in a file elsewhere: nothing of it is left, and
the same command measures it again once there is room. (sysexits' ``EX_TEMPFAIL``.)"""


def exit_code(exc: ForensicError) -> int:
    """The exit code of a command that ``exc`` ended.

    A measured spectrum kept in a file because the store could not record it (the error's
    ``spectrum_kept``) exits :data:`EXIT_SPECTRUM_KEPT` whatever kept it from the store
    (locked, a full disk, the store's file gone): a script, or the technician, must tell
    "record the file, do not measure again" from a typing error (2), from a damaged store
    (1), and from a store that could not record now (75), after which the same command is run
    again, and would measure again. A measured spectrum kept nowhere (the error's
    ``spectrum_lost``: ``acquire`` could not write it, a scan's store did not take it, and no
    file elsewhere could) exits :data:`EXIT_TEMPFAIL` whatever failed, as a full disk does:
    nothing of it is left, and the same command measures it again once there is room.
    Otherwise the error's own ``exit_code`` (1 a failed verification or a damaged store, 3 an
    instrument fault or a chain that does not verify, 4 a scan whose analysis failed or a
    report recorded whose file was not written, 75 a store that stayed locked or a full disk,
    nothing measured), else :data:`EXIT_BAD_INPUT`. (A
    stop, Ctrl-C or a signal, is no error: it exits 128 + the signal, a spectrum kept or not,
    as a shell expects of a stopped program; its message says DO NOT MEASURE AGAIN and where
    the spectrum is kept.)

    Parameters
    ----------
    exc : ForensicError
        The error that ended the command.

    Returns
    -------
    int
        The process's exit status.
    """
    if exc.spectrum_kept is not None:
        return EXIT_SPECTRUM_KEPT
    if exc.spectrum_lost:
        return EXIT_TEMPFAIL
    return getattr(exc, "exit_code", EXIT_BAD_INPUT)


class _Stops:
    """Ctrl-C and the stopping signals while :data:`main` runs a command line
    (:meth:`ForensicGroup.main`): told where the toolkit's code can tell them, held where
    click's own code runs between it, which would end a stop with ``Aborted!`` and 1.

    A stop is raised as an :class:`~forensic.errors.Interrupted` only between
    :meth:`let_through` and the next ``open = False`` (a store of a flag, in which Python runs
    no signal's handler): reading the options, running the command, printing how it ended. One
    that comes in click's code before the command runs (entering its context) is held and
    raised at the next :meth:`let_through`, saying ``nothing was recorded``; one that comes
    once the command has ended (its context closed, the exit) is late, and dropped, as the
    program drops one while it exits (:mod:`forensic.__main__`): the command's status stands.
    """

    def __init__(self) -> None:
        self.open = False
        self.came: list[int] = []

    def handle(self, signum: int, frame: object) -> None:
        """The signals' handler: raise the stop where it can be told, else hold it."""
        if self.open:
            raise Interrupted(signum)
        self.came.append(signum)

    def let_through(self, recorded: str | None = None) -> None:
        """Raise stops from here on, and the one held before, if any, saying ``recorded``
        (what had been recorded when it came); with ``recorded`` None one held is dropped."""
        came, self.came = self.came, []
        self.open = True
        if came and recorded is not None:
            raise Interrupted(came[0], recorded)


_STOPS = _Stops()
"""The stops of the command line this process runs: signals are the process's."""


def _ended(exc: SaidInParts, code: int) -> NoReturn:
    """Print the lines of what ended the command (:func:`error_lines`) on standard error, and
    exit with ``code``.

    A stop (Ctrl-C, a stopping signal) while an error's lines are printed ends the command as
    every stop does, not as click would (``Aborted!``, exit 1): the lines already printed
    stay, and the stop's lines say what the error had not said yet
    (:meth:`~forensic.errors.Interrupted.cutting_short`), with its exit code. A stop's own
    lines are printed whole (:func:`~forensic.errors.holding_signals`): a stop that comes
    meanwhile is too late to stop anything, and is dropped.
    """
    if isinstance(exc, Interrupted):
        try:
            with holding_signals():
                for line in error_lines(exc):
                    click.echo(with_command_line_options(line), err=True)
        except KeyboardInterrupt:  # held until the lines were out: the command ends as said
            pass
        sys.exit(code)
    lines_out = 0
    try:
        _STOPS.let_through()  # a stop that came as the error ended the command is late
        for line in error_lines(exc):
            # what to give is told a Python caller as its argument: here, as the option
            click.echo(with_command_line_options(line), err=True)
            lines_out += 1
        _STOPS.open = False  # said: from here the command has ended
    except KeyboardInterrupt as stop:
        _STOPS.open = False
        stopped(Interrupted.cutting_short(stop, exc, lines_out))
    sys.exit(code)


def failed(exc: ForensicError) -> NoReturn:
    """End the command that ``exc`` ended: its lines (:func:`error_lines`) on standard error,
    and its exit code (:func:`exit_code`)."""
    _ended(exc, exit_code(exc))


def y_unit_option(otherwise: str):
    """The ``--y-unit`` option: the intensity unit of IR files that do not name it.

    ``otherwise`` says what happens to a file that names another unit.
    """
    return click.option(
        "--y-unit",
        type=click.Choice(STATED_Y_UNITS),
        default=None,
        help="The intensity unit of IR files that do not name it (instead of the reader's "
        f"guess); a file that names another unit {otherwise}.",
    )


def filled_in(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option's value (a ``click`` callback), refused where it is the place a printed
    command left to fill in (:func:`~forensic.commands.is_placeholder`): pasted unfilled, such
    a command would record a label or a hand-over that reads ``...``, signed and for good, or
    a reference whose CAS number reads ``...``."""
    if is_placeholder(value):
        raise click.BadParameter(
            f"{value.strip()!r} is the place the printed command left for you to fill in: "
            f"give {param.opts[0]} its value; nothing was recorded",
            ctx=ctx,
            param=param,
        )
    return value


@contextmanager
def settings_as_options(options: Mapping[str, str], given: Mapping[str, Any]) -> Iterator[None]:
    """Have an error about the instrument settings a command passed on name them by the
    command's options, as the technician typed them (``--integration-ms 500``), not by the
    driver's keywords (``integration_time_ms=500``).

    Parameters
    ----------
    options : mapping of str to str
        The option of each setting keyword the command passes on to the instrument
        (``{"integration_time_ms": "--integration-ms"}``).
    given : mapping of str to object
        The settings passed on, by keyword, with their values.
    """
    try:
        yield
    except ForensicError as exc:
        # the drivers are an optional edge: their setting errors are known by what they offer
        name_options = getattr(exc, "name_options", None)
        if callable(name_options):
            name_options(options, given)
        raise


_ACQUISITION_SETTINGS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "integration_time_ms",
        "--integration-ms",
        {"type": float, "help": "Integration time per scan (ms); auto-exposure when omitted."},
    ),
    (
        "averages",
        "--averages",
        {"type": int, "help": "Scans averaged (sample and dark); default 1."},
    ),
    (
        "timeout_s",
        "--timeout",
        {
            "type": float,
            "help": "Folder instruments: seconds to wait for an export; default the URL's "
            "timeout=, else 120.",
        },
    ),
)
"""Each instrument setting a command passes on (a keyword of the instrument's ``acquire``), the
option that gives it, and the option's type and help."""

ACQUISITION_OPTIONS: dict[str, str] = {
    keyword: option for keyword, option, _ in _ACQUISITION_SETTINGS
}
"""The option of ``acquire`` and ``scan`` that gives each instrument setting, by the setting's
keyword (``{"integration_time_ms": "--integration-ms", ...}``), for :func:`settings_as_options`."""


def acquisition_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the options of the instrument settings (:data:`ACQUISITION_OPTIONS`),
    the same in every command that acquires.

    The command receives them as one keyword argument, ``settings``: the settings given, by
    keyword, without those left out (``{"integration_time_ms": 200.0}``), ready for the
    instrument's ``check_settings`` and ``acquire``.

    Parameters
    ----------
    command : callable
        The command's function, before ``@main.command()`` makes it a command.

    Returns
    -------
    callable
        The function with the options added.
    """

    @functools.wraps(command)
    def with_settings(*args: Any, **kwargs: Any) -> Any:
        given = {keyword: kwargs.pop(keyword) for keyword in ACQUISITION_OPTIONS}
        settings = {keyword: value for keyword, value in given.items() if value is not None}
        return command(*args, settings=settings, **kwargs)

    for keyword, option, attributes in reversed(_ACQUISITION_SETTINGS):
        with_settings = click.option(option, keyword, default=None, **attributes)(with_settings)
    return with_settings


LIBRARY_ENV = "FORENSIC_LIBRARY"
"""Environment variable naming the reference library a van's laptop identifies against."""


def _library_exists(ctx: click.Context, param: click.Parameter, value: Path | None):
    """A library named by the environment, not the command line, is said to come from it."""
    from_env = ctx.get_parameter_source(param.name) is click.core.ParameterSource.ENVIRONMENT
    if value is not None and from_env and not value.exists():
        raise click.BadParameter(
            f"{value}: no such library file or folder (set by {LIBRARY_ENV})", ctx, param
        )
    return value


library_option = click.option(
    "--library",
    "library_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar=LIBRARY_ENV,
    callback=_library_exists,
    help="Reference library: a compiled .flib (library build, publish --out) or a library "
    f"folder (compiled once into the cache) [env {LIBRARY_ENV}; default: the shipped library].",
)
"""The ``--library`` option of the commands that identify (``identify``, ``scan``)."""


def stopped(exc: KeyboardInterrupt) -> NoReturn:
    """End the process for a Ctrl-C or a stopping signal: its lines as an error's
    (:func:`error_lines`: ``error: interrupted``, a ``WARNING:`` line when the laser could not
    be switched off, what was recorded and ``to do:``, when the work said so), and exit code
    128 + the signal."""
    stop = exc if isinstance(exc, Interrupted) else Interrupted()
    _ended(stop, stop.exit_code)


class NeededOption(click.Option):
    """An option a command cannot do without that is not click's ``required``: its callback
    refuses a missing value with a message of its own (who signs: ``--operator``, or
    ``$FORENSIC_OPERATOR``). :class:`ForensicCommand` names it among the options left out
    when others are."""


def _left_out_words(params: list[click.Parameter], ctx: click.Context) -> str:
    """``Missing options '--instrument', '--case' and '--exhibit'.``: every argument and
    option left out, an option set by the environment with its variable."""

    def listed(names: list[str]) -> str:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    arguments = [p.get_error_hint(ctx) for p in params if isinstance(p, click.Argument)]
    options = [
        p.get_error_hint(ctx) + (f" (or set {p.envvar})" if isinstance(p.envvar, str) else "")
        for p in params
        if not isinstance(p, click.Argument)
    ]
    said = [
        f"{kind}{'s' if len(names) > 1 else ''} {listed(names)}"
        for kind, names in (("argument", arguments), ("option", options))
        if names
    ]
    return f"Missing {'; '.join(said)}."


class _RecordsNothingWhileReadingOptions:
    """A command or group stopped (Ctrl-C, a stopping signal) while it reads its options has
    run nothing: its stop says ``nothing was recorded``
    (:func:`~forensic.errors.recording_nothing`)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with recording_nothing():
            return super().make_context(*args, **kwargs)


def _ending_the_command(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A command's function, once it has returned or raised, ends the command: a stop that
    comes after it (click closing the command's context) is late (:class:`_Stops`); a stop
    that comes while the error it raised is printed still says what the error had not."""

    @functools.wraps(callback)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        finally:
            _STOPS.open = False

    return command


class ForensicCommand(_RecordsNothingWhileReadingOptions, click.Command):
    """A command whose help opens with a real command line (``example``), and which names
    every argument and option left out at once, not the first only: a technician who types
    ``forensic scan`` learns in one go what it needs."""

    def __init__(self, *args: Any, example: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.example = example
        if self.callback is not None:
            self.callback = _ending_the_command(self.callback)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.example:  # on a line of its own, never wrapped: copied as it is
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text("Example:")
                with formatter.indentation():
                    formatter.write(f"{'':>{formatter.current_indent}}{self.example}\n")
        super().format_help_text(ctx, formatter)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)
        try:
            return super().parse_args(ctx, args)
        except (click.MissingParameter, ForensicError):
            left_out = self._left_out(ctx, given)
            if len(left_out) < 2:  # the error says it, in its own words
                raise
            raise click.UsageError(_left_out_words(left_out, ctx), ctx) from None

    def _left_out(self, ctx: click.Context, given: list[str]) -> list[click.Parameter]:
        """The required (or needed: :class:`NeededOption`) parameters the command line and
        the environment leave out, found by parsing it again without stopping at the first."""
        probe = click.Context(
            self, info_name=ctx.info_name, parent=ctx.parent, resilient_parsing=True
        )
        with probe.scope(cleanup=False):
            click.Command.parse_args(self, probe, given)
        return [
            p
            for p in self.get_params(probe)
            if (p.required or isinstance(p, NeededOption))
            and probe.get_parameter_source(p.name) in (None, click.core.ParameterSource.DEFAULT)
            and (probe.params.get(p.name) is None or p.value_is_missing(probe.params[p.name]))
        ]


class CommandGroup(_RecordsNothingWhileReadingOptions, click.Group):
    """A group of commands under ``forensic`` (``case``, ``exhibit``, ...), each a
    :class:`ForensicCommand`."""

    command_class = ForensicCommand
    group_class = type


class ForensicGroup(_RecordsNothingWhileReadingOptions, click.Group):
    """A click group that turns the toolkit's errors into one clear line and an exit code;
    each of its commands a :class:`ForensicCommand`, each of its groups a
    :class:`CommandGroup`."""

    command_class = ForensicCommand
    group_class = CommandGroup

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line (click's ``main``) with its stops handled by :class:`_Stops`
        (SIGTERM and SIGHUP as Ctrl-C), and the handlers there were given back after it."""
        _STOPS.open, _STOPS.came = False, []
        previous = {}
        try:
            # a stop before the handler is in place says that nothing ran; in a thread other
            # than the main one, the signals cannot be handled, and are left alone
            with recording_nothing(), contextlib.suppress(ValueError):
                for signum in (signal.SIGINT, *Interrupted.SIGNALS):
                    previous[signum] = signal.signal(signum, _STOPS.handle)
            return super().main(*args, **kwargs)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            with recording_nothing():
                _STOPS.let_through("nothing was recorded")
                try:
                    return super().make_context(*args, **kwargs)
                finally:
                    _STOPS.open = False  # click enters the context next
        except KeyboardInterrupt as exc:  # click would say "Aborted!" and exit 1
            stopped(exc)

    def invoke(self, ctx: click.Context):
        try:
            # one held since the options were read says that nothing ran
            _STOPS.let_through("nothing was recorded")
            return super().invoke(ctx)
        except ForensicError as exc:
            _STOPS.open = False
            failed(exc)
        except KeyboardInterrupt as exc:
            _STOPS.open = False
            stopped(exc)
        finally:
            _STOPS.open = False  # click closes the context next: a stop there is late


@click.group(cls=ForensicGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="forensic")
def main() -> None:
    """Identify seized substances from Raman and infrared spectra."""
