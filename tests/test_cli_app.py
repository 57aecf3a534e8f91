"""The ``forensic`` program: Ctrl-C and the stopping signals end it in one line, at any moment;
the options its commands share are the same everywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from forensic.cli import main
from forensic.cli.app import ForensicCommand, ForensicGroup, error_lines
from forensic.errors import (
    InstrumentError,
    Interrupted,
    holding_signals,
    receiving_spectrum,
    spectrum_in_hand,
)

ROOT = Path(__file__).resolve().parents[1]


def _handles(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler installed for ``signum`` (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs /proc to see the handlers installed"
)
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_command_stopped_while_it_loads_says_nothing_was_recorded(tmp_path, stop):
    """The first thing the program does is take over the signals; the command line takes a
    third of a second to load after that, and a Ctrl-C then gave a traceback (and then
    ``error: interrupted`` alone, not saying that nothing was recorded)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "forensic", "case", "new", "X-1", "--store", str(tmp_path / "s")],
        cwd=ROOT,
        env={**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not _handles(proc.pid, signal.SIGTERM):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the program never took over SIGTERM"
        time.sleep(0.001)
    proc.send_signal(getattr(signal, stop))
    out, err = proc.communicate(timeout=60)
    what = "interrupted" if stop == "SIGINT" else f"stopped by {stop}"
    assert (proc.returncode, err.splitlines(), out) == (
        128 + getattr(signal, stop),
        [f"error: {what}", "nothing was recorded"],
        "",
    )
    assert not (tmp_path / "s").exists()  # stopped before the command ran


CTRL_C_WHILE_LOADING = textwrap.dedent(
    """
    import signal, sys

    from forensic.__main__ import run

    # 'import forensic' must be quick: nothing can handle Ctrl-C before it is done
    assert "numpy" not in sys.modules and "click" not in sys.modules, "import forensic is slow"

    class CtrlCWhileLoading:
        def find_spec(self, name, path=None, target=None):
            if name == "forensic.cli":
                assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, "not taken over"
                raise KeyboardInterrupt  # as Ctrl-C does, while the command line loads

    sys.meta_path.insert(0, CtrlCWhileLoading())
    run()
    """
)


def test_the_program_takes_over_the_signals_before_it_loads_the_command_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_LOADING, "case", "list"],
        cwd=ROOT,
        env={**os.environ, "FORENSIC_STORE": str(tmp_path / "s")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (
        130,
        "error: interrupted\nnothing was recorded\n",
        "",
    )


def test_a_command_stopped_while_its_options_are_read_exits_as_interrupted(monkeypatch):
    """click itself would say 'Aborted!' and exit 1; nothing has run that records."""

    def interrupted(*args, **kwargs):
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr("click.Group.parse_args", interrupted)
    result = CliRunner().invoke(main, ["case", "list"])
    assert (result.exit_code, result.output) == (
        143,
        "error: stopped by SIGTERM\nnothing was recorded\n",
    )


@pytest.mark.parametrize("command", [["case", "new", "C-1"], ["scan", "--case", "C-1"]])
def test_a_command_stopped_while_it_reads_its_own_options_says_nothing_was_recorded(
    monkeypatch, tmp_path, command
):
    """A subcommand's options are read once the group has begun: its stop said ``error:
    stopped by SIGHUP`` alone, as a stop in the middle of recording does."""

    def interrupted(*args, **kwargs):
        raise Interrupted(signal.SIGHUP)

    monkeypatch.setattr(ForensicCommand, "parse_args", interrupted)
    result = CliRunner().invoke(main, [*command, "--store", str(tmp_path / "s")])
    assert (result.exit_code, result.output) == (
        129,
        "error: stopped by SIGHUP\nnothing was recorded\n",
    )
    assert not (tmp_path / "s").exists()


def _ctrl_c() -> None:
    """Press Ctrl-C: a real SIGINT, handled where the program is when it comes."""
    signal.raise_signal(signal.SIGINT)


def _ctrl_c_as_click(monkeypatch, when: str) -> None:
    """Press Ctrl-C in click's own code around the command's: as click's ``main()`` enters
    the context of the ``forensic`` group, its options read (``"enters"``), or as that context
    closes, the command done (``"closes"``: as a resource a command holds is closed, a
    callback of ``call_on_close``)."""
    real_make, real_enter = ForensicGroup.make_context, click.Context.__enter__
    made = []

    def make_context(self, *args, **kwargs):
        made.append(real_make(self, *args, **kwargs))
        return made[-1]

    def enter(self):
        if made and self is made[0]:  # click's `with` in main(), once
            made.clear()
            if when == "enters":
                _ctrl_c()
            else:
                self.call_on_close(_ctrl_c)
        return real_enter(self)

    monkeypatch.setattr(ForensicGroup, "make_context", make_context)
    monkeypatch.setattr(click.Context, "__enter__", enter)


def test_a_stop_as_click_enters_the_context_says_nothing_was_recorded(monkeypatch, tmp_path):
    """It printed click's 'Aborted!' and exited 1, before the command ran."""
    _ctrl_c_as_click(monkeypatch, "enters")
    store = tmp_path / "s"
    result = CliRunner().invoke(
        main, ["case", "new", "C-1", "--store", str(store), "--operator", "Ann Example"]
    )
    assert (result.exit_code, result.output) == (130, "error: interrupted\nnothing was recorded\n")
    assert not store.exists()


def test_a_stop_once_the_command_has_ended_leaves_its_status(monkeypatch, tmp_path):
    """A Ctrl-C as click closed the context, the case opened: click printed 'Aborted!' and
    exited 1. The command has ended: the stop is late, as one while the program exits is."""
    _ctrl_c_as_click(monkeypatch, "closes")
    store = tmp_path / "s"
    result = CliRunner().invoke(
        main, ["case", "new", "C-1", "--store", str(store), "--operator", "Ann Example"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("case C-1 opened (record #2, ")
    listed = CliRunner().invoke(main, ["case", "list", "--store", str(store)])
    assert (listed.exit_code, listed.output.splitlines()[2].split()[0]) == (0, "C-1")
    # an error said whole keeps its code
    _ctrl_c_as_click(monkeypatch, "closes")
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "none.jdx")])
    assert (result.exit_code, result.output) == (
        2,
        f"error: {tmp_path / 'none.jdx'}: no such file\n",
    )


CTRL_C_WHILE_THE_SCAN_LOADS = textwrap.dedent(
    """
    import sys

    from forensic.__main__ import run

    class CtrlCWhileTheScanLoads:
        def find_spec(self, name, path=None, target=None):
            if name == "forensic.workflows":
                raise KeyboardInterrupt  # as Ctrl-C does, while the scan loads its workflow

    sys.meta_path.insert(0, CtrlCWhileTheScanLoads())
    run()
    """
)


def test_a_scan_stopped_while_it_loads_its_workflow_says_nothing_was_recorded(tmp_path):
    """The scan loads its workflow (NumPy, SciPy, the store) in most of a second after the
    command line has loaded, before its first progress line: when a technician sees the wrong
    exhibit number typed and presses Ctrl-C. It said ``error: interrupted`` alone."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CTRL_C_WHILE_THE_SCAN_LOADS,
            "scan",
            "--instrument",
            "sim:ocean-rs232?sample=cocaine",
            "--case",
            "C-1",
            "--exhibit",
            "A2",
            "--operator",
            "Ann Example",
            "--store",
            str(tmp_path / "s"),
        ],
        cwd=ROOT,
        env={**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (
        130,
        "error: interrupted\nnothing was recorded\n",
        "",
    )
    assert not (tmp_path / "s").exists()


def test_an_interruption_says_what_was_recorded():
    stop = Interrupted(signal.SIGHUP, "recorded case C-1 (record #2)")
    assert (str(stop), stop.exit_code) == ("stopped by SIGHUP; recorded case C-1 (record #2)", 129)
    assert (stop.problem, stop.recorded, stop.warning, stop.advice) == (
        "stopped by SIGHUP",
        "recorded case C-1 (record #2)",
        None,
        None,
    )
    assert isinstance(stop, KeyboardInterrupt)  # passes 'except Exception': every finally runs
    assert not isinstance(stop, Exception)
    assert (str(Interrupted()), Interrupted().exit_code) == ("interrupted", 130)


def test_an_interruption_keeps_its_warning_when_it_says_what_was_recorded():
    stop = Interrupted(signal.SIGINT, warning="the laser may still be on", advice="old advice")
    assert str(stop) == "interrupted; WARNING: the laser may still be on; to do: old advice"
    # what the stopped work says it recorded says what is left to do: the stop's is replaced
    again = Interrupted.having_recorded(stop, "nothing was recorded", "scan again")
    assert str(again) == (
        "interrupted; WARNING: the laser may still be on; nothing was recorded; to do: scan again"
    )
    plain = Interrupted.having_recorded(KeyboardInterrupt(), "nothing was recorded")
    assert (str(plain), plain.exit_code) == ("interrupted; nothing was recorded", 130)


def test_a_stop_says_each_of_its_parts_on_a_line_of_its_own_as_an_error_does(monkeypatch):
    # "interrupted: recorded ...; WARNING: the laser ..." ended a line hundreds of characters
    # long, where the one thing that must not be missed was easily missed; and what to do
    # ("scan again to measure it") was said inside what was recorded
    stop = Interrupted(
        signal.SIGTERM, "nothing was recorded", "the laser may still be on", "scan again"
    )
    assert error_lines(stop) == [
        "error: stopped by SIGTERM",
        "WARNING: the laser may still be on",
        "nothing was recorded",
        "to do: scan again",
    ]

    def interrupted(*args, **kwargs):
        raise stop

    monkeypatch.setattr("click.Group.parse_args", interrupted)
    result = CliRunner().invoke(main, ["case", "list"])
    assert (result.exit_code, result.output.splitlines()) == (143, error_lines(stop))
    # the order and the words an error's lines have (one function says both)
    error = InstrumentError("stopped by SIGTERM")
    error.recorded, error.warning, error.advice = stop.recorded, stop.warning, stop.advice
    assert error_lines(error) == error_lines(stop)


def test_an_error_says_each_of_its_parts_on_a_line_of_its_own(monkeypatch):
    # what happened, a warning, what was recorded, what to do: apart, in that order, once each
    error = InstrumentError("x:y: the device disconnected")
    error.advice, error.warning, error.recorded = "plug it in", "laser on", "recorded case C-1"
    assert str(error) == (
        "x:y: the device disconnected; WARNING: laser on; recorded case C-1; to do: plug it in"
    )
    assert error.problem == "x:y: the device disconnected"
    assert error_lines(error) == [
        "error: x:y: the device disconnected",
        "WARNING: laser on",
        "recorded case C-1",
        "to do: plug it in",
    ]

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr("click.Command.invoke", failing)  # the command "case list" fails
    result = CliRunner().invoke(main, ["case", "list"])
    assert (result.exit_code, result.output.splitlines()) == (2, error_lines(error))
    # an error without them is the one line it always was
    assert error_lines(InstrumentError("x:y: gone")) == ["error: x:y: gone"]
    assert str(InstrumentError("x:y: gone")) == "x:y: gone"


def test_a_stop_is_held_until_the_block_ends_whichever_thread_the_system_gives_it_to():
    """The thread's signal mask held nothing once NumPy had started a thread: the system
    delivered the signal there, and Python stopped the main thread in the block all the
    same (a second Ctrl-C cut short the lines that say where a spectrum was kept)."""
    previous = signal.signal(signal.SIGTERM, Interrupted.raise_on_signal)
    other = threading.Thread(target=(done := threading.Event()).wait)
    other.start()
    ran = []
    try:
        with pytest.raises(Interrupted) as stop, holding_signals():
            signal.pthread_kill(other.ident, signal.SIGTERM)
            time.sleep(0.2)  # Python runs the handler here, unless it is held
            ran.append("the block ran to its end")
        after = signal.getsignal(signal.SIGTERM)
    finally:
        done.set()
        other.join()
        signal.signal(signal.SIGTERM, previous)
    assert ran == ["the block ran to its end"] and stop.value.signum == signal.SIGTERM
    assert after == Interrupted.raise_on_signal  # delivered to the handler there was


def test_a_stop_once_the_driver_has_the_spectrum_waits_until_the_command_holds_it():
    """Before the driver says it has the spectrum a stop stops the measurement at once; from
    then it waits until the block that receives the spectrum ends, the spectrum held; a
    driver's word outside any such block (a Python caller's) holds nothing."""
    previous = signal.signal(signal.SIGTERM, Interrupted.raise_on_signal)
    held = []
    try:
        with pytest.raises(Interrupted), receiving_spectrum():
            signal.raise_signal(signal.SIGTERM)  # still measuring: stopped here
            held.append("measured")
        with pytest.raises(Interrupted), receiving_spectrum():
            spectrum_in_hand()
            signal.raise_signal(signal.SIGTERM)
            held.append("received")
        spectrum_in_hand()  # no command receiving: a stop comes where it comes
        with pytest.raises(Interrupted):
            signal.raise_signal(signal.SIGTERM)
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert held == ["received"] and after == Interrupted.raise_on_signal


CTRL_C_AT_LINES = textwrap.dedent(
    """
    import os, signal, sys

    import click

    from forensic.__main__ import run

    # a Ctrl-C as each line that begins with one of these is about to be printed, once each
    at = sys.argv.pop(1).split("|")
    echo = click.echo

    def ctrl_c_at(message=None, *args, **kwargs):
        if at and str(message).startswith(at[0]):
            at.pop(0)
            os.kill(os.getpid(), signal.SIGINT)
        echo(message, *args, **kwargs)

    click.echo = ctrl_c_at
    run()
    """
)
"""Runs the ``forensic`` program as ``python -m forensic`` does, pressing Ctrl-C (a real
SIGINT) as the lines given (their beginnings, ``|`` between them) are about to be printed."""

NO_SUCH_PORT = [
    "error: cannot open /dev/ttyNOPE: no such port",
    "to do: run `forensic instrument list` to see which instruments are connected",
]


def _acquire_from_a_port_not_there(tmp_path, ctrl_c_at: str) -> subprocess.CompletedProcess:
    out = tmp_path / "a.jdx"
    return subprocess.run(
        [sys.executable, "-c", CTRL_C_AT_LINES, ctrl_c_at, "acquire", "--instrument",
         "ocean-rs232:///dev/ttyNOPE", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip


def test_a_ctrl_c_while_an_error_is_printed_ends_as_a_stop_saying_what_was_not_said(tmp_path):
    """It escaped to click, which printed 'Aborted!' and exited 1: what the error had still
    to say (what to do, where a spectrum was kept) was not said."""
    done = _acquire_from_a_port_not_there(tmp_path, "to do:")
    assert (done.returncode, done.stderr.splitlines(), done.stdout) == (
        130,
        [NO_SUCH_PORT[0], "error: interrupted", NO_SUCH_PORT[1]],
        "",
    )
    # without a Ctrl-C, the error as it always was
    done = _acquire_from_a_port_not_there(tmp_path, "never")
    assert (done.returncode, done.stderr.splitlines()) == (3, NO_SUCH_PORT)


def test_a_second_ctrl_c_while_a_stop_is_printed_cuts_none_of_its_lines(tmp_path):
    done = _acquire_from_a_port_not_there(tmp_path, "to do:|error: interrupted")
    assert (done.returncode, done.stderr.splitlines()) == (
        130,
        [NO_SUCH_PORT[0], "error: interrupted", NO_SUCH_PORT[1]],
    )


def test_a_stop_while_an_error_is_printed_says_each_part_once():
    error = InstrumentError("x:y: the device disconnected")
    error.warning, error.recorded, error.advice = "laser on", "kept in k.json", "record it"
    # out: what happened and the warning; the stop says the rest, and its own warning first
    stop = Interrupted.cutting_short(Interrupted(signal.SIGTERM, warning="port open"), error, 2)
    assert (error_lines(stop), stop.exit_code) == (
        ["error: stopped by SIGTERM", "WARNING: port open", "kept in k.json", "to do: record it"],
        143,
    )
    # nothing out yet: every part but what happened, a plain Ctrl-C
    stop = Interrupted.cutting_short(KeyboardInterrupt(), error, 0)
    assert error_lines(stop) == [
        "error: interrupted",
        "WARNING: laser on",
        "kept in k.json",
        "to do: record it",
    ]
    # everything out: the stop alone
    assert error_lines(Interrupted.cutting_short(KeyboardInterrupt(), error, 4)) == [
        "error: interrupted"
    ]


SIGNAL_AFTER_THE_COMMAND = textwrap.dedent(
    """
    import atexit, signal, sys

    from forensic.__main__ import run

    signum, status = int(sys.argv[1]), int(sys.argv[2])

    def main():
        print("Report written: a.pdf")
        # a kill that arrives as the command ends: after main() has returned, while the
        # interpreter shuts down
        atexit.register(signal.raise_signal, signum)
        sys.exit(status)

    run(main)
    """
)


@pytest.mark.parametrize("status", [0, 4])
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_after_the_command_completed_changes_nothing(stop, status):
    """It printed 'Exception ignored in ... Traceback ... Interrupted: stopped by SIGTERM', or
    ended with 130/143 and no message, after the report was issued."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGNAL_AFTER_THE_COMMAND,
            str(int(getattr(signal, stop))),
            str(status),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (status, "", "Report written: a.pdf\n")


def test_acquire_and_scan_take_the_same_instrument_settings_as_the_same_options():
    # scan had its own map of settings to options, and lacked --averages for it
    from forensic.cli.app import ACQUISITION_OPTIONS  # noqa: PLC0415

    def options(command):
        return {
            p.name: (p.opts, p.type.name, p.help)
            for p in main.commands[command].params
            if p.name in ACQUISITION_OPTIONS
        }

    acquire, scan = options("acquire"), options("scan")
    assert acquire == scan
    assert {name: opts for name, (opts, _, _) in acquire.items()} == {
        name: [option] for name, option in ACQUISITION_OPTIONS.items()
    }


LOADED_BY_THE_COMMAND = textwrap.dedent(
    """
    import json, sys
    from forensic.__main__ import run
    try:
        run()
    except SystemExit as exc:
        status = exc.code
    heavy = ("matplotlib", "forensic.report", "forensic.report.pdf")
    print(json.dumps({"status": status, "loaded": [m for m in heavy if m in sys.modules]}))
    """
)
"""Runs the ``forensic`` program as ``python -m forensic`` does, then says which of the heavy
modules the command loaded."""


def _run_and_list_heavy_modules(*command: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY_THE_COMMAND, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    *said, loaded = done.stdout.splitlines() or [""]
    assert loaded.startswith("{"), done.stderr
    return json.loads(loaded), "\n".join(said)


def test_identify_says_its_verdict_without_the_report_package():
    # it printed one line from forensic.report.layout, whose package imported matplotlib
    exhibit = ROOT / "spectral_library" / "raman" / "cocaine-hcl.jdx"
    found, said = _run_and_list_heavy_modules("identify", str(exhibit))
    assert found == {"status": 0, "loaded": []}
    # under the library's line (forensic.identification.library_named) and a blank one
    assert said.startswith("library: forensic shipped library, published ")
    assert said.splitlines()[2].startswith(f"{exhibit}: IDENTIFIED: Cocaine hydrochloride")


def test_a_scan_without_a_report_never_loads_matplotlib(tmp_path):
    found, said = _run_and_list_heavy_modules(
        "scan", "--instrument", "sim:ocean-rs232?sample=cocaine", "--case", "C-1",
        "--exhibit", "A1", "--operator", "Ann Example", "--store", str(tmp_path / "s"),
    )  # fmt: skip
    # the scan records its result, whose custody limitations come from forensic.report.content
    assert found["status"] == 0 and "matplotlib" not in found["loaded"], found
    assert "IDENTIFIED: Cocaine base" in said


def _every_command(command=main, path=("forensic",)):
    """Each command and group under ``forensic``, with the words that run it."""
    import click  # noqa: PLC0415

    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _every_command(sub, (*path, name))


def test_every_command_s_help_gives_each_option_a_line_and_no_markup():
    """The audit: `custody add --received-by`, `--released-by` and `exhibit add
    --collected-by` had no help at all, and `instrument simulate --help` showed RST markup
    (``forensic acquire ...``) that a terminal prints as it is."""
    import click  # noqa: PLC0415

    runner = CliRunner()
    walked = []
    for path, command in _every_command():
        walked.append(" ".join(path))
        shown = runner.invoke(main, [*path[1:], "--help"], terminal_width=100)
        assert shown.exit_code == 0, (path, shown.output)
        assert "``" not in shown.output, path
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]}: no help"
                # every option is listed with its help on the screen
                assert param.opts[-1] in shown.output, (path, param.opts)
    assert {"forensic scan", "forensic custody add", "forensic library export"} <= set(walked)


TECHNICIAN_EXAMPLES = {
    ("scan",): "forensic scan --instrument ocean-rs232:///dev/ttyUSB0 --case 2026-0412 "
    "--exhibit A1 --operator 'Ann Example' --report A1.pdf",
    ("case", "new"): "forensic case new 2026-0412 --title 'Border seizure' --location "
    "'Border post Nord' --operator 'Ann Example'",
    ("exhibit", "add"): "forensic exhibit add 2026-0412 A1 --description 'white powder, zip "
    "bag' --seal S-0093 --collected-by 'PC J. Smith 4471' --operator 'Ann Example'",
    ("custody", "add"): "forensic custody add 2026-0412 A1 --released-by 'Ann Example' "
    "--received-by 'Bob Lab' --purpose 'transport to lab' --seal-intact --operator "
    "'Ann Example'",
    ("report",): "forensic report 2026-0412 A1 --out A1.pdf --operator 'Ann Example'",
    ("identify",): "forensic identify exhibit-A1.spc",
}


@pytest.mark.parametrize("words", sorted(TECHNICIAN_EXAMPLES), ids=" ".join)
def test_a_technician_command_s_help_opens_with_a_real_command_line(words, monkeypatch):
    """The audit: `scan --help` was 47 lines with no example, and its one URL was the
    simulator's: a technician who copied it scanned a simulated cocaine sample."""
    import shlex  # noqa: PLC0415

    monkeypatch.delenv("FORENSIC_OPERATOR", raising=False)
    shown = CliRunner().invoke(main, [*words, "--help"], terminal_width=80)
    lines = shown.output.splitlines()
    assert lines[0].startswith("Usage: ") and lines[1] == ""
    example = TECHNICIAN_EXAMPLES[words]
    assert lines[2:4] == ["  Example:", f"    {example}"]  # one line, never wrapped
    assert "sim:" not in example
    # the example is a whole, valid command line of this command, as typed
    typed = shlex.split(example)
    assert typed[: 1 + len(words)] == ["forensic", *words]
    command = main
    for word in words:
        command = command.commands[word]
    with command.make_context(" ".join(words), typed[1 + len(words) :]) as ctx:
        assert all(ctx.params[p.name] is not None for p in command.params if p.required), ctx.params


OPERATOR_LEFT_OUT = "'--operator' (or set FORENSIC_OPERATOR)"


@pytest.mark.parametrize(
    ("typed", "operator", "said"),
    [
        (
            ["scan"],
            None,
            f"Missing options '--instrument', '--case', '--exhibit' and {OPERATOR_LEFT_OUT}.",
        ),
        (
            ["scan", "--instrument", "obp:///dev/ttyUSB0", "--case", "C-1"],
            None,
            f"Missing options '--exhibit' and {OPERATOR_LEFT_OUT}.",
        ),
        (
            ["custody", "add"],
            None,
            "Missing arguments 'CASE_NUMBER' and 'ITEM_NUMBER'; options '--received-by', "
            f"'--purpose' and {OPERATOR_LEFT_OUT}.",
        ),
        (["report", "C-1"], "Ann Example", "Missing option '--out'."),  # one: click's words
        (
            ["scan", "--instrument", "x", "--case", "C-1"],
            "Ann Example",
            "Missing option '--exhibit'.",
        ),
    ],
)
def test_a_command_left_bare_names_everything_it_needs_at_once(
    tmp_path, monkeypatch, typed, operator, said
):
    """The audit: a bare `forensic scan` named only --instrument; given it, --case; and so
    on, one option at a time, in a van. Who signs counts among them when nobody is named."""
    monkeypatch.delenv("FORENSIC_OPERATOR", raising=False)
    if operator:
        monkeypatch.setenv("FORENSIC_OPERATOR", operator)
    monkeypatch.setenv("FORENSIC_STORE", str(tmp_path / "s"))
    done = CliRunner().invoke(main, typed)
    assert done.exit_code == 2, done.output
    assert done.output.splitlines()[-1] == f"Error: {said}"
    assert not (tmp_path / "s").exists()  # nothing recorded


def test_who_signs_left_out_alone_is_said_as_before(tmp_path, monkeypatch):
    """The operator alone left out keeps its own message: how to name yourself once."""
    monkeypatch.delenv("FORENSIC_OPERATOR", raising=False)
    typed = ["custody", "add", "C-1", "A1", "--purpose", "storage", "--received-by", "Bob Lab"]
    done = CliRunner().invoke(main, [*typed, "--store", str(tmp_path / "s")])
    assert done.exit_code != 0
    assert "export FORENSIC_OPERATOR='Your Name'" in done.output.splitlines()[-1]
