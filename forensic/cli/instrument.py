"""Instrument commands: ``forensic instrument list|simulate`` and ``forensic acquire``."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NamedTuple

import click
from serial.tools import list_ports

from drivers.errors import NotSupported
from drivers.protocols import SERIAL_PROTOCOLS
from drivers.seabreeze_usb import list_usb_spectrometers
from drivers.simulators.pty import FAULTS
from drivers.transport import describe_port
from drivers.urls import open_instrument
from forensic.cli.app import (
    ACQUISITION_OPTIONS,
    acquisition_options,
    main,
    settings_as_options,
)
from forensic.errors import ForensicError, Interrupted, holding_signals, receiving_spectrum
from forensic.files import (
    OutputError,
    OutputExistsError,
    atomic_write_bytes,
    check_writable,
)
from forensic.instruments import driver_bugs, held_instrument, unclosed_warning
from forensic.io import spectrum_writer
from forensic.samples import resolve_sample
from forensic.spectrum import MEASURED, Spectrum, is_measured


def _open(url: str):
    """The instrument at ``url``; a simulator's sample is a file, or a name in the library
    (``FORENSIC_LIBRARY_DIR``, else the shipped one)."""
    return open_instrument(url, sample_resolver=resolve_sample)


@main.group()
def instrument() -> None:
    """Find instruments and run simulated ones."""


class _Kept(NamedTuple):
    """Where :func:`_keep_unwritten` kept a measured spectrum, and what to say of it, in the
    parts an error or a stop says them (:class:`~forensic.errors.SaidInParts`)."""

    path: Path | None
    """The file it is kept in; None: kept nowhere, it is lost."""
    recorded: str | None = None
    """``DO NOT MEASURE AGAIN: ... kept in ...``, when it is kept."""
    warning: str | None = None
    """That it is lost, when it is kept nowhere."""
    advice: str | None = None
    """The copy that puts it where it was wanted; kept nowhere, to measure it again."""


class _ToKeep(NamedTuple):
    """The bytes a measured spectrum ``acquire`` did not write is kept as
    (:func:`_bytes_to_keep`)."""

    data: bytes | None
    """The file's content; None: not even our CSV could be made of the spectrum."""
    as_csv: bool = False
    """``data`` is our CSV, not the file ``--out`` was to be: its format's writer failed."""
    failure: str | None = None
    """Why the writer failed (``as_csv``), or why no bytes could be made (``data`` None)."""
    bug: bool = False
    """The writer failed on an exception that is not the toolkit's own: a bug, to report."""


def _bytes_to_keep(writer: Any, spectrum: Spectrum) -> _ToKeep:
    """What to keep of a measured spectrum ``acquire`` did not write: the file ``--out`` was
    to be (``writer``, the format its extension names), else, when that writer fails on the
    spectrum, our CSV (:func:`forensic.io.text.write_csv`: every value JSON cannot hold
    written as its text), which reads back with its metadata and history; whatever fails, it
    is said, never raised: the laser has fired."""
    from forensic.io.text import write_csv  # noqa: PLC0415  (as the writers are)

    try:
        return _ToKeep(writer.write(spectrum))
    except Exception as exc:  # the spectrum is kept as CSV instead, and said so
        failed = exc
    said = f"writing it as {writer.description} failed ({_named(failed)})"
    try:
        return _ToKeep(
            write_csv(spectrum),
            as_csv=True,
            failure=said,
            bug=not isinstance(failed, ForensicError),
        )
    except Exception as exc:  # said: the spectrum is lost
        return _ToKeep(None, failure=f"{said}, and so did writing it as CSV ({_named(exc)})")


def _named(exc: BaseException) -> str:
    """An exception as an error line names it: ``TypeError: what it says``, on one line."""
    said = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _of_out(error: ForensicError, out: Path) -> ForensicError:
    """``error``, about the file ``--out`` names (``out``), said to be: its message begins
    ``--out PATH:``, the path said once, whoever raised it (the checks made before the laser
    fires, the format's writer, the file system). It is otherwise as it was: its type, its
    exit code and its other parts."""
    said = error.problem
    if error.args and error.args[0] == said:  # the message is its first argument
        error.args = (f"--out {out}: {said.removeprefix(f'{out}: ')}", *error.args[1:])
    return error


def _writing_failed(exc: Exception, out: Path) -> ForensicError:
    """The error ``acquire`` ends with when writing its spectrum to ``out`` failed on
    ``exc``, once the laser had fired: ``exc`` itself when it is the toolkit's own (a full
    disk, a folder gone, the writer refusing a value), else one no one foresaw (an
    ``OSError`` the writing did not expect, a writer's bug), said as an
    :class:`~forensic.files.OutputError` that names it and has it as its ``__cause__``;
    either way said of ``--out`` (:func:`_of_out`), and the spectrum is kept
    (:func:`_keep_unwritten`), which the error then says where."""
    if isinstance(exc, ForensicError):
        return _of_out(exc, out)
    error = OutputError(
        f"--out {out}: writing the spectrum failed on an unexpected error ({_named(exc)})"
    )
    error.__cause__ = exc
    return error


def _keep_unwritten(
    data: _ToKeep,
    out: Path,
    *,
    acquired_at: str | None = None,
    overwrite: bool = False,
    folder_failed: bool = True,
    say_failure: bool = False,
) -> _Kept:
    """Keep a measured spectrum ``acquire`` did not write to ``out`` (``data``, the file's
    bytes) where a scan keeps a spectrum the store did not take
    (:func:`~forensic.custody.unrecorded.keep_unwritten`), and say where, and how to put it
    where it was wanted (a copy that asks before it replaces a file, unless ``overwrite``):
    the same words whether writing ``out`` failed or a stop (Ctrl-C) came first. Kept as our
    CSV (the writer of ``out``'s format failed on it), it is said so, with the command that
    writes it as ``out`` once the writer is put right (and a writer's bug to report). With no
    bytes at all, it is lost.

    Parameters
    ----------
    data : _ToKeep
        The file's whole content, as it was to be written (:func:`_bytes_to_keep`).
    out : Path
        The ``--out`` it was to be written to.
    acquired_at : str, optional
        When the spectrum was acquired (ISO 8601, UTC), for the kept file's name.
    overwrite : bool
        ``--force`` was given: the copy offered replaces a file there without asking.
    folder_failed : bool
        ``out``'s folder could not be written (a full disk, a folder gone), not a file made
        there meanwhile nor a stop that came first: the copy is offered for once it can be.
    say_failure : bool
        Say why the writer of ``out``'s format failed, when it did (no error said it: a stop
        came first).

    Returns
    -------
    _Kept
        The file the spectrum is kept in, and what to say of it.
    """
    from forensic.custody.unrecorded import keep_unwritten, temporary_note  # noqa: PLC0415

    if data.data is None:
        kept, failures = None, [data.failure or "no file could be made of it"]
    else:
        named = out.with_suffix(".csv") if data.as_csv else out
        kept, failures = keep_unwritten(data.data, named, acquired_at=acquired_at)
    out = Path(os.path.abspath(out))
    if kept is None:
        return _Kept(
            None,
            warning=(
                f"the measured spectrum is lost: it is not in {out}, and could not be kept in "
                f"a file elsewhere either ({'; '.join(failures)})"
            ),
            advice="acquire again to measure it"
            + (", with --out a file in a folder that can be written" if folder_failed else ""),
        )
    recorded = (
        f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}"
        f"{temporary_note(kept)}"
    )
    if data.as_csv:  # not the file --out was to be: written as it once the writer is put right
        convert = shlex.join(
            ["forensic", "convert", str(kept), str(out), *(["--force"] if overwrite else [])]
        )
        report = "report this bug in the toolkit, with this message; " if data.bug else ""
        return _Kept(
            kept,
            recorded=f"{recorded}, as our CSV (its metadata and history with it), which every "
            "forensic command reads" + (f": {data.failure}" if say_failure else ""),
            advice=f"{report}once what failed is put right, `{convert}` writes it where it was "
            "wanted",
        )
    copy = shlex.join(["cp", *([] if overwrite else ["-i"]), str(kept), str(out)])
    when = f"once {out.parent} can be written, " if folder_failed else ""
    return _Kept(kept, recorded=recorded, advice=f"{when}`{copy}` puts it where it was wanted")


def _measured_when_stopped(
    stop: KeyboardInterrupt,
    out: Path,
    data: _ToKeep,
    *,
    written: bool,
    acquired_at: str | None,
    overwrite: bool,
    folder_failed: bool,
) -> Interrupted:
    """The stop (Ctrl-C, a stopping signal) of an ``acquire`` whose laser had fired: it says
    that the spectrum is at ``out``, whole (``written``), or keeps it elsewhere
    (:func:`_keep_unwritten`) and says where, or that it is lost; with the stop's own exit
    code (130) and warning (the laser may still be on) first."""
    if written:
        return Interrupted.having_recorded(
            stop, f"the spectrum is written, whole, to {os.path.abspath(out)}"
        )
    with holding_signals():  # a second Ctrl-C waits until the spectrum is kept
        kept = _keep_unwritten(
            data,
            out,
            acquired_at=acquired_at,
            overwrite=overwrite,
            folder_failed=folder_failed,
            say_failure=True,
        )
    warnings = [w for w in (getattr(stop, "warning", None), kept.warning) if w]
    signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
    return Interrupted(signum, kept.recorded, "; ".join(warnings) or None, kept.advice)


@instrument.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_instruments(as_json: bool) -> None:
    """Serial ports and USB spectrometers found on this computer."""
    ports = [
        {"device": p.device, "description": p.description, "hwid": p.hwid}
        for p in sorted(list_ports.comports(), key=lambda p: p.device)
    ]
    unavailable: NotSupported | None = None
    try:
        usb: list[dict[str, str]] | str = list_usb_spectrometers()
    except NotSupported as exc:
        usb, unavailable = str(exc), exc
    if as_json:
        click.echo(json.dumps({"serial_ports": ports, "usb_spectrometers": usb}, indent=2))
        return
    click.echo(f"serial ports ({len(ports)}):")
    for port in ports:
        click.echo(f"  {describe_port(**port)}")
    if not ports:
        click.echo("  none found (USB adapters appear as /dev/ttyUSB* or /dev/ttyACM*)")
    if unavailable is not None:
        click.echo(f"USB spectrometers: unavailable ({unavailable.problem})")
        if unavailable.advice:
            click.echo(f"  to do: {unavailable.advice}")
    else:
        click.echo(f"USB spectrometers ({len(usb)}):")
        for device in usb:
            click.echo(f"  seabreeze:{device['serial']}  {device['model']}")
    click.echo(
        "use a URL such as ocean-rs232:///dev/ttyUSB0, obp:///dev/ttyACM0 or seabreeze:SERIAL"
    )


@instrument.command("simulate")
@click.option(
    "--protocol",
    type=click.Choice(list(SERIAL_PROTOCOLS)),
    required=True,
    help="Protocol to speak.",
)
@click.option(
    "--sample",
    required=True,
    help='Library name or spectrum file of the sample; a cut sample as "cocaine:65,levamisole:35".',
)
@click.option(
    "--fault",
    default=None,
    help="Inject a fault: " + ", ".join(FAULTS) + ".",
)
@click.option("--seed", type=int, default=None, help="Noise seed (reproducible spectra).")
def simulate(protocol: str, sample: str, fault: str | None, seed: int | None) -> None:
    """Serve a simulated instrument on a pseudo-terminal until interrupted.

    The first line printed is the device path to give to the driver, e.g.
    'forensic acquire --instrument ocean-rs232:///dev/pts/5 --out x.jdx'. Every spectrum it
    produces is synthetic (provenance "simulated"), never a measurement.
    """
    if fault is not None and fault not in FAULTS:
        raise click.BadParameter(
            f"{fault!r}; choose from {', '.join(FAULTS)}", param_hint="--fault"
        )
    reference = resolve_sample(sample, "raman")
    simulator = SERIAL_PROTOCOLS[protocol].simulator(reference, fault=fault, seed=seed)
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    simulator.start()
    try:
        click.echo(simulator.device_path)
        sys.stdout.flush()
        note = f" with fault {fault!r}" if fault else ""
        click.echo(
            f"simulated {protocol} instrument{note} serving {reference.name or sample} (synthetic "
            "spectra, provenance 'simulated'); Ctrl-C to stop",
            err=True,
        )
        while not done.wait(0.2):
            if simulator.closed:
                click.echo("the simulated device disconnected (fault 'disconnect')", err=True)
                break
    finally:
        simulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@main.command()
@click.option(
    "--instrument",
    "url",
    required=True,
    help="Instrument URL (the table in docs/technician.md, 'Instruments: acquire and simulate').",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JCAMP-DX file (.jdx).",
)
@acquisition_options
@click.option("--name", default=None, help="Sample name recorded in the metadata.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def acquire(
    url: str, out: Path, settings: dict[str, float | int], name: str | None, force: bool
) -> None:
    """Acquire one spectrum from an instrument and write it as JCAMP-DX with its metadata.

    A setting the instrument cannot apply (an integration time for an FTIR whose own software
    measures, a wait for an export from a serial spectrometer) is refused, never dropped.
    """
    # before the laser fires: the spectrum must land, in a format that writes (said first)
    try:
        writer = spectrum_writer(out)
        check_writable(out, overwrite=force)
    except ForensicError as exc:
        _of_out(exc, out).recorded = exc.recorded or _NOTHING_MEASURED
        raise
    spectrum = None
    data: _ToKeep | None = None
    written = False
    unwritten: ForensicError | None = None
    try:
        with (
            settings_as_options(ACQUISITION_OPTIONS, settings),
            held_instrument(
                _open,
                url,
                on_unclosed=lambda error: click.echo(
                    f"WARNING: {unclosed_warning(error)}", err=True
                ),
            ) as device,
            driver_bugs(url, "acquiring"),
        ):
            device.on_notice = lambda text: click.echo(text, err=True)
            with receiving_spectrum():  # a stop as the driver hands it over waits until here
                spectrum = device.acquire(**settings)
        # the laser has fired: from here the spectrum is at --out, whole, or kept elsewhere
        # and said to be, whatever comes (a full disk, a stop, a writer that fails on it)
        try:
            if name:
                spectrum = spectrum.with_metadata(name=name)
            data = _ToKeep(writer.write(spectrum))  # the bytes write_spectrum writes
            with holding_signals():  # a stop waits until the file is whole at --out, or not
                try:
                    atomic_write_bytes(out, data.data, overwrite=force)
                    written = True
                except Exception as exc:  # a full disk, a folder gone since the check, ...
                    unwritten = _writing_failed(exc, out)
        except Exception as exc:  # the writer failed on the spectrum, or naming it did
            unwritten = _writing_failed(exc, out)
        if unwritten is not None:
            # made, the file failed to land at --out: a full disk, a folder gone, a file there
            folder_failed = data is not None and not isinstance(unwritten, OutputExistsError)
            if data is None:  # the writer failed on it: kept as what can be made of it
                data = _bytes_to_keep(writer, spectrum)
            kept = _keep_unwritten(
                data,
                out,
                acquired_at=spectrum.metadata.get("acquired_at"),
                overwrite=force,
                folder_failed=folder_failed,
            )
            unwritten.spectrum_kept = kept.path  # kept: exit 5, copy the file
            # measured, and kept nowhere: exit 75, measure again once there is room
            unwritten.spectrum_lost = kept.path is None
            unwritten.recorded = kept.recorded
            unwritten.warning, unwritten.advice = kept.warning, kept.advice
            raise unwritten
        _say_written(out, spectrum)
    except KeyboardInterrupt as stop:
        if spectrum is None:  # the laser had not fired, or no spectrum came of it
            raise
        if data is None:
            with holding_signals():
                named = spectrum
                with contextlib.suppress(Exception):  # kept unnamed, rather than not at all
                    named = spectrum.with_metadata(name=name) if name else spectrum
                data = _bytes_to_keep(writer, named)
        raise _measured_when_stopped(
            stop,
            out,
            data,
            written=written,
            acquired_at=spectrum.metadata.get("acquired_at"),
            overwrite=force,
            folder_failed=unwritten is not None and not isinstance(unwritten, OutputExistsError),
        ) from stop


_NOTHING_MEASURED = "nothing was measured"
"""What ``acquire`` refused for its ``--out`` before the laser fired says it recorded: the
sample is as it was, and the same command, ``--out`` put right, measures it."""


def _settings_said(spectrum: Spectrum) -> str:
    """The acquisition settings a spectrum's metadata records, as ``acquire`` says them: a
    spectrometer's integration time and scans averaged (``100.0 ms x 1``), an FTIR's
    resolution and scans (``resolution 4 cm-1, 32 scans``), which its own software sets and
    its export may name. A setting the instrument does not have (an FTIR has no integration
    time) or its export does not name is never shown as ``?``: what is not recorded is said
    to be so."""
    meta = spectrum.metadata
    scans = meta.get("averages")
    if meta.get("integration_time_ms") is not None:
        return f"{meta['integration_time_ms']} ms x {1 if scans is None else scans}"
    said = []
    if meta.get("resolution_cm1") is not None:
        said.append(f"resolution {meta['resolution_cm1']:g} cm-1")
    if scans is not None:
        count = f"{scans:g}" if isinstance(scans, (int, float)) else str(scans)
        said.append(f"{count} scan{'' if count == '1' else 's'}")
    if said:
        return ", ".join(said)
    settings = "scans and resolution" if spectrum.modality == "ir" else "integration time and scans"
    return f"{settings} as set in the instrument's software (its export does not say)"


def _say_written(out: Path, spectrum: Spectrum) -> None:
    """What ``acquire`` says of the spectrum it wrote to ``out``: where, what, and the
    warnings and advice of its acquisition."""
    meta = spectrum.metadata
    provenance = meta.get("provenance") or MEASURED
    instrument = " ".join(
        str(meta[key]) for key in ("instrument_model", "instrument_serial") if meta.get(key)
    )
    click.echo(
        f"wrote {out}: {len(spectrum)} points "
        f"{spectrum.wavenumber[0]:.0f}-{spectrum.wavenumber[-1]:.0f} cm-1, "
        f"{instrument or 'instrument not named'}, {_settings_said(spectrum)}, "
        f"provenance {provenance}"
    )
    for warning in meta.get("acquisition_warnings") or []:
        click.echo(f"warning: {warning}", err=True)
    for action in meta.get("acquisition_advice") or []:
        click.echo(f"to do: {action}", err=True)
    if not is_measured(provenance):
        click.echo(f"note: this spectrum is {str(provenance).upper()}, not a measurement", err=True)
