"""Commands of the files area: ``inspect``, ``convert`` and ``plot`` (registered on ``main``).

Bad input never ends in a traceback here: each unreadable file gives one ``error:`` line on
standard error naming the file, the problem and, for text, the line; the exit code is 2. No
output file is written over unless ``--force`` is given.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click
import numpy as np

from forensic.cli.app import EXIT_BAD_INPUT, main
from forensic.commands import import_with_laser_line
from forensic.errors import ForensicError, FormatError
from forensic.files import REPLACE_OPTION, atomic_write_bytes, not_overwritten
from forensic.io import (
    available_formats,
    file_sha256,
    read_spectra,
    spectrum_writer,
    write_spectrum,
)
from forensic.spectrum import STANDARD_METADATA_KEYS, Spectrum

__all__ = ["convert", "describe_file", "inspect", "plot"]

_PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_Y_LABELS = {
    "counts": "Intensity (counts)",
    "counts_per_second": "Intensity (counts/s)",
    "arbitrary": "Intensity (arbitrary units)",
    "absorbance": "Absorbance",
    "transmittance": "Transmittance",
    "percent_transmittance": "Transmittance (%)",
    "reflectance": "Reflectance",
    "kubelka_munk": "Kubelka-Munk",
    "normalised": "Intensity (normalised)",
}


# -- helpers ---------------------------------------------------------------------------------------


def _error_line(path: Path, exc: BaseException) -> str:
    """One line for a file that could not be read: the file, the problem, the line if known."""
    if isinstance(exc, ForensicError):
        message = " ".join(str(exc).split())
    else:  # a reader bug must still not end in a traceback for the technician
        message = (
            f"could not be read: unexpected {type(exc).__name__} in the reader "
            f"({' '.join(str(exc).split())}); please report this file"
        )
    if str(path) not in message:
        message = f"{path}: {message}"
    return message


def _read_or_report(path: Path) -> list[Spectrum] | None:
    """The file's spectra, or None after printing its one error line."""
    try:
        return read_spectra(path)
    except Exception as exc:  # every failure becomes one line, never a traceback
        click.echo(f"error: {_error_line(path, exc)}", err=True)
        return None


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN/inf as None, bytes as hex, rest as str."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def describe_file(path: str | Path) -> dict[str, Any]:
    """What ``forensic inspect --json`` prints for one file.

    Parameters
    ----------
    path : str or Path
        A spectrum file in any format the toolkit reads.

    Returns
    -------
    dict
        ``file``, ``sha256`` (of the file's bytes), ``size_bytes``, ``format`` (reader name),
        ``format_description``, and ``spectra``: one entry per spectrum with ``index``
        (1-based), ``name``, ``modality``, ``y_unit``, ``points``, ``wavenumber_min_cm1``,
        ``wavenumber_max_cm1``, ``axis_problem`` (why the axis looks like it is not in cm⁻¹
        and what to run, or None), ``intensity_min``, ``intensity_max``, ``signal_to_noise``
        (strongest band over noise as measured, :mod:`forensic.quality`; None when noiseless),
        ``clipped_points`` (the longest run at the strongest value; 3 or more is a clipped
        band), ``atmospheric_co2`` (IR: the CO2 doublet of a stale background as
        ``p_branch_cm1``, ``r_branch_cm1`` and ``fraction`` of the intensity range, when it
        reaches 5 % of it; else None), ``metadata`` and ``history``. JSON-serialisable.

    Raises
    ------
    FormatError
        The file cannot be read (see :func:`forensic.read_spectra`).
    """
    path = Path(path)
    spectra = read_spectra(path)
    return _description(path, spectra)


def _description(path: Path, spectra: list[Spectrum]) -> dict[str, Any]:
    fmt_name = str(spectra[0].metadata.get("source_format", ""))
    descriptions = {f.name: f.description for f in available_formats()}
    return {
        "file": str(path),
        "sha256": file_sha256(path),
        "size_bytes": path.stat().st_size,
        "format": fmt_name,
        "format_description": descriptions.get(fmt_name, ""),
        "spectra": [_spectrum_entry(path, i, s) for i, s in enumerate(spectra, start=1)],
    }


def _spectrum_entry(path: Path, index: int, spectrum: Spectrum) -> dict[str, Any]:
    # forensic.quality imports SciPy: only when a file is described, not at every command's
    # start-up (and --help), which imports this module
    from forensic.quality import (  # noqa: PLC0415
        axis_unit_problem,
        laser_line_action,
        laser_line_named,
        spectrum_atmospheric_co2,
        spectrum_clipped_run,
        spectrum_signal_to_noise,
    )

    # an axis in nm: what the technician does (the instrument's export) and what reads it as
    # it is, for a reference (the import), rather than the Python call a programmer makes
    reading = import_with_laser_line(path, laser_line_named(spectrum))
    nm_action = laser_line_action(
        f"export it against Raman shift in cm-1, or import it as a reference with {reading}"
    )
    x, y = spectrum.wavenumber, spectrum.intensity
    co2 = spectrum_atmospheric_co2(spectrum)
    return _jsonable(
        {
            "index": index,
            "name": spectrum.name,
            "modality": spectrum.modality,
            "y_unit": spectrum.y_unit,
            "points": len(spectrum),
            "wavenumber_min_cm1": float(x[0]),
            "wavenumber_max_cm1": float(x[-1]),
            "axis_problem": axis_unit_problem(spectrum, nm_action=nm_action),
            "intensity_min": float(y.min()),
            "intensity_max": float(y.max()),
            "signal_to_noise": spectrum_signal_to_noise(spectrum),
            "clipped_points": spectrum_clipped_run(spectrum),
            "atmospheric_co2": None
            if co2 is None
            else {
                "p_branch_cm1": co2.p_branch_cm1,
                "r_branch_cm1": co2.r_branch_cm1,
                "fraction": co2.fraction,
            },
            "metadata": dict(spectrum.metadata),
            "history": [step.to_dict() for step in spectrum.history],
        }
    )


def _short(value: Any, width: int = 70) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_description(info: dict[str, Any]) -> None:
    from forensic.quality import CLIPPED_RUN, NOISELESS_SNR  # noqa: PLC0415  (as in _spectrum_entry)

    click.echo(info["file"])
    click.echo(f"  format     {info['format']} ({info['format_description']})")
    click.echo(f"  sha256     {info['sha256']}")
    click.echo(f"  size       {info['size_bytes']} bytes")
    total = len(info["spectra"])
    for entry in info["spectra"]:
        title = f"  spectrum {entry['index']} of {total}"
        if entry["name"]:
            title += f": {entry['name']}"
        click.echo(title)
        meta = entry["metadata"]
        basis = f" ({meta['modality_basis']})" if meta.get("modality_basis") else ""
        click.echo(f"    modality   {entry['modality']}{basis}")
        axis_basis = f" ({meta['axis_unit_basis']})" if meta.get("axis_unit_basis") else ""
        click.echo(
            f"    axis       {entry['wavenumber_min_cm1']:.2f} to "
            f"{entry['wavenumber_max_cm1']:.2f} cm⁻¹{axis_basis}, {entry['points']} points"
        )
        if entry["axis_problem"]:
            click.echo(f"    AXIS       {entry['axis_problem']}")
        unit_basis = f" ({meta['y_unit_basis']})" if meta.get("y_unit_basis") else ""
        click.echo(f"    y unit     {entry['y_unit']}{unit_basis}")
        snr, clipped = entry["signal_to_noise"], entry["clipped_points"]
        if snr == 0:
            signal = "flat: no band at all"
        else:
            signal = (
                "no noise found (a model, or noise smoothed or rounded away)"
                if snr >= NOISELESS_SNR
                else f"strongest band {snr:.0f}x the noise"
            )
            clip = f"CLIPPED: {clipped} points at the extreme" if clipped >= CLIPPED_RUN else ""
            signal += f", {clip or 'not clipped'}"
        click.echo(f"    signal     {signal}")
        co2 = entry["atmospheric_co2"]
        if co2:
            click.echo(
                f"    CO2        doublet at {co2['p_branch_cm1']:.0f}/{co2['r_branch_cm1']:.0f} "
                f"cm⁻¹, {co2['fraction']:.0%} of the range: a stale background (measure a "
                "fresh one)"
            )
        standard = [
            k
            for k in STANDARD_METADATA_KEYS
            if meta.get(k) not in (None, "") and k != "name" and not k.startswith("source_")
        ]
        for key in standard:
            click.echo(f"    {key:<22} {_short(meta[key])}")
        shown_above = ("modality_basis", "axis_unit_basis", "y_unit_basis")
        vendor = [k for k in meta if k not in STANDARD_METADATA_KEYS and k not in shown_above]
        if vendor:
            shown = ", ".join(vendor[:6]) + (", ..." if len(vendor) > 6 else "")
            click.echo(f"    other keys ({len(vendor)}, all with --json): {_short(shown, 60)}")
        if entry["history"]:
            steps = ", ".join(step["name"] for step in entry["history"])
            click.echo(f"    history    {steps}")


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise FormatError(not_overwritten(path, replace=REPLACE_OPTION))
    if path.is_dir():
        raise FormatError("is a folder; give a file name", path=path)


# -- commands --------------------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per file, one per line (JSON Lines): a single file prints exactly one "
    "JSON document.",
)
@click.pass_context
def inspect(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Show what each spectrum FILE holds: format, modality, axis, points, unit, metadata, SHA-256.

    Unreadable files are reported one line each on standard error; the others are still shown,
    and the exit code is 2 if any file was unreadable.
    """
    failed = 0
    for position, path in enumerate(files):
        spectra = _read_or_report(path)
        if spectra is None:
            failed += 1
            continue
        try:
            info = _description(path, spectra)
        except OSError as exc:
            click.echo(f"error: {path}: cannot be read: {exc.strerror}", err=True)
            failed += 1
            continue
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False, allow_nan=False))
        else:
            if position:
                click.echo("")
            _print_description(info)
    if failed:
        ctx.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it exists.")
@click.option(
    "--spectrum",
    "number",
    type=click.IntRange(min=1),
    default=None,
    help="Which spectrum to write (1-based) when SOURCE holds several.",
)
@click.pass_context
def convert(
    ctx: click.Context, source: Path, target: Path, force: bool, number: int | None
) -> None:
    """Convert SOURCE to TARGET, the format chosen by TARGET's extension.

    .jdx or .dx writes JCAMP-DX (AFFN); .csv writes our CSV, whose comment lines carry the
    modality, unit, metadata and history so that it reads back unchanged.
    """
    spectrum_writer(target)  # its name first: a TARGET that exists would ask for --force
    _refuse_existing(target, force)
    spectra = _read_or_report(source)
    if spectra is None:
        ctx.exit(EXIT_BAD_INPUT)
        return
    if number is None and len(spectra) > 1:
        raise FormatError(
            f"holds {len(spectra)} spectra; choose one with --spectrum 1..{len(spectra)}",
            path=source,
        )
    index = (number or 1) - 1
    if index >= len(spectra):
        raise FormatError(
            f"holds {len(spectra)} spectra; --spectrum {number} does not exist", path=source
        )
    spectrum = spectra[index]
    written = write_spectrum(spectrum, target, overwrite=force)
    click.echo(
        f"wrote {written} ({spectrum.modality}, {len(spectrum)} points, "
        f"{spectrum.wavenumber[0]:.1f} to {spectrum.wavenumber[-1]:.1f} cm⁻¹)"
    )


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The image to write: .png, .svg or .pdf.",
)
@click.option("--force", is_flag=True, help="Replace the image if it exists.")
@click.option(
    "--normalise",
    is_flag=True,
    help="Scale each spectrum to its own maximum (for display only).",
)
@click.option("--title", default=None, help="A title over the plot.")
@click.pass_context
def plot(
    ctx: click.Context,
    files: tuple[Path, ...],
    *,
    out: Path,
    force: bool,
    normalise: bool,
    title: str | None,
) -> None:
    """Overlay the spectra in FILES in one image (--out FILE.png).

    Raman spectra are drawn against "Raman shift (cm⁻¹)", IR spectra against "Wavenumber
    (cm⁻¹)" high to low, as IR spectra are usually shown; given both, each modality gets a
    panel of its own. If any file is unreadable nothing is written and the exit code is 2.
    """
    kind = _PLOT_FORMATS.get(out.suffix.lower())
    if kind is None:
        raise FormatError(
            f"cannot write a {out.suffix or 'extension-less'} image: use .png, .svg or .pdf",
            path=out,
        )
    _refuse_existing(out, force)
    found: list[tuple[str, Spectrum, Path]] = []
    failed = 0
    for path in files:
        spectra = _read_or_report(path)
        if spectra is None:
            failed += 1
            continue
        for i, spectrum in enumerate(spectra, start=1):
            label = spectrum.name or path.stem
            if len(spectra) > 1 and not spectrum.name:
                label += f" #{i}"
            found.append((label, spectrum, path))
    if failed:
        click.echo(f"error: {failed} file(s) unreadable; {out} not written", err=True)
        ctx.exit(EXIT_BAD_INPUT)
        return
    labels = [label for label, _, _ in found]
    # two files of the same name (ps.txt from two instruments) are told apart by their path
    labelled = [
        (label if labels.count(label) == 1 else f"{label} ({path})", spectrum)
        for label, spectrum, path in found
    ]
    data = _render(labelled, kind=kind, normalise=normalise, title=title)
    atomic_write_bytes(out, data, overwrite=force)
    click.echo(f"wrote {out} ({len(labelled)} spectra)")


def _render(
    labelled: Iterable[tuple[str, Spectrum]], *, kind: str, normalise: bool, title: str | None
) -> bytes:
    """The overlaid plot as image bytes (matplotlib's object API: no global pyplot state).

    Raman and IR spectra are drawn in panels of their own, one above the other: a Raman
    shift and an IR wavenumber are not the same axis, and IR is drawn high to low.
    """
    import matplotlib  # noqa: PLC0415  (heavy; only this command needs it)

    labelled = list(labelled)
    with matplotlib.rc_context({"text.parse_math": False}):  # a "$" in a name is a dollar
        return _render_panels(labelled, kind=kind, normalise=normalise, title=title)


def _render_panels(
    labelled: list[tuple[str, Spectrum]], *, kind: str, normalise: bool, title: str | None
) -> bytes:
    from matplotlib.figure import Figure  # noqa: PLC0415

    panels = [
        [(label, s) for label, s in labelled if s.modality == modality]
        for modality in ("raman", "ir")
    ]
    panels = [panel for panel in panels if panel]
    figure = Figure(figsize=(9, 5 if len(panels) == 1 else 8), layout="constrained")
    for number, panel in enumerate(panels):
        axes = figure.add_subplot(len(panels), 1, number + 1)
        _draw_panel(axes, panel, normalise=normalise)
        if title and number == 0:
            axes.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=150)
    return buffer.getvalue()


def _draw_panel(axes, labelled: list[tuple[str, Spectrum]], *, normalise: bool) -> None:
    """Spectra of one modality overlaid on one pair of axes, labelled for that modality."""
    units = {s.y_unit for _, s in labelled}
    for label, spectrum in labelled:
        y = np.asarray(spectrum.intensity)
        if normalise:
            peak = float(np.max(np.abs(y)))
            y = y / peak if peak > 0 else y
        axes.plot(spectrum.wavenumber, y, linewidth=0.9, label=label)
    if labelled[0][1].modality == "raman":
        axes.set_xlabel("Raman shift (cm⁻¹)")
    else:
        axes.set_xlabel("Wavenumber (cm⁻¹)")
        axes.invert_xaxis()
    if normalise:
        axes.set_ylabel("Intensity (normalised to each maximum)")
    elif len(units) == 1:
        axes.set_ylabel(_Y_LABELS.get(next(iter(units)), "Intensity"))
    else:
        axes.set_ylabel("Intensity (mixed units: " + ", ".join(sorted(units)) + ")")
    axes.legend(fontsize="small", loc="best")
    axes.grid(alpha=0.3)
