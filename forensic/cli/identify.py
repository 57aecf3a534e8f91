"""``forensic identify FILE...``: identify spectra against a library, as a table or JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from forensic.cli.app import EXIT_BAD_INPUT, library_option, main, mixture_line, y_unit_option
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


def _table(path: str, result) -> str:
    from forensic.spectrum import is_measured  # noqa: PLC0415
    from forensic.verdict import format_q_value, format_score, verdict_line  # noqa: PLC0415

    version = result.library_version[:12]
    verdict = verdict_line(result.to_dict())
    lines = [f"{path}: {verdict} ({result.modality}, library {version})"]
    lines.append(f"  {'#':>2}  {'substance':<32} {'score':>7} {'q-value':>8} {'shift':>7}  peaks")
    for h in result.hits:
        q = format_q_value(h["q_value"])
        n_match = len(h["matched_peaks"])
        n_all = n_match + len(h["unmatched_peaks"])
        flag = "" if is_measured(h["provenance"]) else f" ({h['provenance']})"
        lines.append(
            f"  {h['rank']:>2}  {(h['name'] + flag)[:32]:<32} "
            f"{format_score(h['score'], h['q_value']):>7} {q:>8} "
            f"{h['shift_cm1']:>+6.1f}  {n_match}/{n_all}"
        )
    if result.mixture:
        lines.append(f"  {mixture_line(result.mixture)}")
    for reason in result.reasons:
        lines.append(f"  - {reason}")
    for warning in result.warnings:
        lines.append(f"  ! {warning}")
    for action in result.advice:  # what to do: for this screen, not for the record
        lines.append(f"  to do: {action}")
    return "\n".join(lines)


@main.command("identify")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@library_option
@click.option("--top", default=5, show_default=True, type=click.IntRange(1, 100), help="Hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per file.")
@click.option("--no-mixtures", is_flag=True, help="Do not try mixture fits.")
@y_unit_option("is an error")
def identify_command(  # noqa: PLR0917  (click passes options positionally)
    files, library_path, top, as_json, no_mixtures, y_unit
):
    """Identify the substance in each FILE (Raman or IR spectra, any supported format).

    Every file is identified in one process against a library loaded once. A file that cannot
    be read or identified gets its own error line; the others are still processed, and the
    exit code is 2 at the end.
    """
    # the engine imports SciPy and pyteomics: only when this command runs (fast --help)
    from forensic.identification import identify  # noqa: PLC0415
    from forensic.io import read_spectra  # noqa: PLC0415
    from forensic.library import compiling_message, open_reference_library  # noqa: PLC0415

    library = open_reference_library(
        library_path, on_compile=lambda folder: click.echo(compiling_message(folder), err=True)
    )
    failed = 0
    for path in files:
        try:
            spectra = read_spectra(path)
            if y_unit is not None:
                spectra = [s.with_y_unit(y_unit, "stated with --y-unit") for s in spectra]
            for k, spectrum in enumerate(spectra):
                label = str(path) if len(spectra) == 1 else f"{path}#{k + 1}"
                result = identify(spectrum, library, top=top, mixtures=not no_mixtures)
                click.echo(_json_line(label, result) if as_json else _table(label, result))
                if not as_json:
                    click.echo("")
        except ForensicError as exc:
            failed += 1
            message = " ".join(str(exc).split())
            if str(path) not in message:
                message = f"{path}: {message}"
            click.echo(f"error: {message}", err=True)
            if as_json:
                click.echo(json.dumps({"file": str(path), "error": message}))
    if failed:
        sys.exit(EXIT_BAD_INPUT)
