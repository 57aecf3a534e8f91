"""``forensic identify FILE...``: identify spectra against a library, as a table or JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from forensic.arguments import with_command_line_options
from forensic.cli.app import EXIT_BAD_INPUT, library_option, main, y_unit_option
from forensic.errors import ForensicError


def _json_line(path: str, result) -> str:
    d = result.to_dict()
    mixture = d.pop("mixture")
    d.pop("query", None)
    d.pop("best_reference", None)
    out = {"file": path, **d}
    out["mixture"] = mixture["components"] if mixture else None
    out["mixture_residual"] = mixture["residual"] if mixture else None
    out["mixture_explained"] = mixture["explained"] if mixture else None
    # a float never reaches default= (json encodes every float itself, and refuses NaN)
    return json.dumps(out, allow_nan=False, default=str)


def _table(path: str, result, provenance: str | None) -> str:
    """A file's result as every result is shown (:func:`forensic.cli.result.result_lines`),
    headed by the file and its verdict; what the scores mean is said once, after the last.
    ``provenance`` is the spectrum's (None: measured)."""
    from forensic.cli.result import result_lines  # noqa: PLC0415
    from forensic.verdict import verdict_line  # noqa: PLC0415

    identification = result.to_dict()
    version = result.library_version[:12]
    headline = f"{path}: {verdict_line(identification)} ({result.modality}, library {version})"
    return "\n".join([headline, *result_lines(identification, provenance=provenance, key=False)])


_AXIS_IN_NM_AGAIN = (
    "if it is, export the spectrum against Raman shift in cm-1 and identify that file"
)
"""What ``forensic identify`` tells a technician whose spectrum cannot be compared, its Raman
axis looking like a wavelength in nm: the export, the one way to a query in Raman shift
(``library import --laser-nm`` reads such an axis into a reference, not a query), in place of
the Python call :func:`forensic.identify` names."""


def _micrometre_note(label: str, spectrum) -> str | None:
    """What ``forensic identify`` tells of a spectrum whose file gave its axis as a wavelength
    in µm (an IR spectrum's), which the reader converted to wavenumber: that it did, and how,
    so that a chemist who compares the result with the file knows where the numbers came from;
    None for any other spectrum."""
    from_um = any(
        step.name == "micrometre_to_wavenumber"
        or (
            step.name == "wavelength_to_wavenumber" and step.params.get("from_unit") == "micrometre"
        )
        for step in spectrum.history
    )
    if not from_um:
        return None
    low, high = float(spectrum.wavenumber[0]), float(spectrum.wavenumber[-1])
    return (
        f"note: {label}: its axis is a wavelength in µm ({1e4 / high:.4g}-{1e4 / low:.4g} µm), "
        f"read as an {spectrum.modality.upper()} spectrum's and converted to wavenumber in cm-1 "
        f"= 10000 / µm ({low:.0f}-{high:.0f} cm-1)"
    )


def _say_error(label: str, exc: ForensicError, *, as_json: bool) -> None:
    """A file's or a spectrum's error line (``label``: the file, or ``file#2``), and with
    ``--json`` its JSON line too, both in the command line's words: what to do about an axis
    that is not in cm-1 said as a technician does it
    (:func:`forensic.quality.with_command_line_action`), and what to give as its option, not
    as a Python caller's argument (:func:`forensic.arguments.with_command_line_options`)."""
    from forensic.quality import with_command_line_action  # noqa: PLC0415  (SciPy: not at --help)

    message = with_command_line_options(
        with_command_line_action(" ".join(str(exc).split()), _AXIS_IN_NM_AGAIN)
    )
    if label not in message:
        message = f"{label}: {message}"
    click.echo(f"error: {message}", err=True)
    if as_json:
        click.echo(json.dumps({"file": label, "error": message}))


@main.command("identify", example="forensic identify exhibit-A1.spc")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@library_option
@click.option(
    "--top", default=5, show_default=True, type=click.IntRange(1, 100), help="Hits to show."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per file.")
@click.option("--no-mixtures", is_flag=True, help="Do not try mixture fits.")
@y_unit_option("is an error")
def identify_command(  # noqa: PLR0917  (click passes options positionally)
    files, library_path, top, as_json, no_mixtures, y_unit
):
    """Identify the substance in each FILE (Raman or IR spectra, any supported format).

    Every file is identified in one process against a library loaded once, named first with
    its standing: published (when, by whom), or built (when) and not a published version. A
    file that cannot be read or identified gets its own error line (a spectrum of a file of
    several, its own: FILE#2); the others are still processed, and the exit code is 2 at
    the end.
    """
    # the engine imports SciPy and pyteomics: only when this command runs (fast --help)
    from forensic.identification import identify, library_named  # noqa: PLC0415
    from forensic.io import read_spectra  # noqa: PLC0415
    from forensic.library_folders import (  # noqa: PLC0415
        compiling_message,
        open_reference_library,
    )

    library = open_reference_library(
        library_path, on_compile=lambda folder: click.echo(compiling_message(folder), err=True)
    )
    if not as_json:  # which library the answers come from, and its standing: once, first
        click.echo(f"library: {library_named(library)}\n")
    failed = 0
    shown = []  # the hits of the tables printed, whose scores the key explains
    for path in files:
        try:
            spectra = read_spectra(path)
            if y_unit is not None:
                spectra = [s.with_y_unit(y_unit, "stated with --y-unit") for s in spectra]
        except ForensicError as exc:
            failed += 1
            _say_error(str(path), exc, as_json=as_json)
            continue
        for k, spectrum in enumerate(spectra):
            # each spectrum of a file on its own: one that cannot be identified is named
            # (file#2), and the file's others are still identified
            label = str(path) if len(spectra) == 1 else f"{path}#{k + 1}"
            note = _micrometre_note(label, spectrum)
            if note:
                click.echo(note, err=True)
            try:
                result = identify(spectrum, library, top=top, mixtures=not no_mixtures)
            except ForensicError as exc:
                failed += 1
                _say_error(label, exc, as_json=as_json)
                continue
            provenance = spectrum.metadata.get("provenance")
            click.echo(_json_line(label, result) if as_json else _table(label, result, provenance))
            if not as_json:
                click.echo("")
                shown += result.hits
    if shown:
        from forensic.cli.result import score_key  # noqa: PLC0415

        key = score_key(shown)
        if key:
            click.echo(key.strip())
    if failed:
        sys.exit(EXIT_BAD_INPUT)
