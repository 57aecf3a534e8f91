"""A result on the technician's screen: one format for every command that prints one.

``identify`` (a file), ``scan`` (an exhibit) and ``exhibit identify`` (a saved spectrum) each
head a result their own way (the file's name, a large verdict, the record's number), with the
verdict in the words of the report (:func:`forensic.verdict.verdict_line`); what follows the
headline is laid out here, so that a hit, a warning or what to do reads the same whichever
command printed it.

Nothing here is loaded at start-up: the verdict's words import NumPy and SciPy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "RECORDED_AXIS_IN_NM",
    "RECORDED_AXIS_IN_UM",
    "hits_table",
    "mixture_line",
    "qualifier_line",
    "result_lines",
    "score_key",
    "to_do",
    "warning_lines",
    "with_recorded_spectrum_actions",
]

RECORDED_AXIS_IN_NM = (
    "if it is, the saved spectrum cannot be identified as recorded, and no command changes a "
    "record: identify the instrument's own export of this measurement against Raman shift in "
    "cm-1 with forensic identify, which records nothing, and have the instrument's laser "
    "wavelength checked before the next scan"
)
"""What ``scan`` and ``exhibit identify`` tell a technician whose saved spectrum cannot be
compared, its Raman axis looking like a wavelength in nm, in place of the Python call
(``Spectrum.from_wavelength``) the identification names: the store keeps the spectrum as
measured, signed, and no command converts a record; the instrument's own export, in Raman
shift, is identified as a file (``forensic identify``: nothing recorded), and the instrument
(its laser line, which turns wavelengths into Raman shifts) is checked before it measures
again."""

RECORDED_AXIS_IN_UM = (
    "if it is, the saved spectrum cannot be identified as recorded, and no command changes a "
    "record: identify the instrument's own export of this measurement with forensic identify, "
    "which records nothing and converts an axis in µm whose unit the file names, wavenumber in "
    "cm-1 = 10000 / µm; and have the instrument's software export against wavenumber in cm-1 "
    "before the next scan"
)
"""What ``scan`` and ``exhibit identify`` tell a technician whose saved spectrum cannot be
compared, its axis looking like an IR spectrum's wavelength in µm, in place of the Python call
(``micrometre_to_wavenumber``) the identification names: as for an axis in nm
(:data:`RECORDED_AXIS_IN_NM`), the record stays as measured; the export is identified as a
file, which a reader converts when it names its axis unit in µm."""


@contextlib.contextmanager
def with_recorded_spectrum_actions() -> Iterator[None]:
    """Have an error that ends identifying a saved spectrum (``scan``, ``exhibit identify``)
    say what to do about an axis that is not in cm-1 as a technician does it
    (:func:`forensic.quality.with_command_line_action` with :data:`RECORDED_AXIS_IN_NM`, and
    :data:`RECORDED_AXIS_IN_UM` for an IR spectrum's axis in µm),
    not as a Python caller is told; the error is otherwise unchanged, its type and exit code
    too.

    Yields
    ------
    None
    """
    from forensic.errors import ForensicError  # noqa: PLC0415

    try:
        yield
    except ForensicError as exc:
        from forensic.quality import with_command_line_action  # noqa: PLC0415  (SciPy)

        said = exc.problem
        if exc.args and exc.args[0] == said:  # the message is its first argument
            exc.args = (
                with_command_line_action(said, RECORDED_AXIS_IN_NM, RECORDED_AXIS_IN_UM),
                *exc.args[1:],
            )
        raise


SUBSTANCE_WIDTH = 32
"""The substance column's narrowest width; it widens to the longest name shown, never cuts one."""


def mixture_line(mixture: Mapping[str, Any]) -> str:
    """A mixture fit as a result's screen shows it: each component's share of the fitted signal
    (with the score and verdict of its part, when the fit recorded them) and the residual left
    unexplained, headed by what a share is and is not, in the report's words
    (:data:`forensic.verdict.SHARE_OF_SIGNAL`, :data:`forensic.verdict.NOT_A_PURITY`): a
    share read alone is read, and radioed, as a purity.

    Parameters
    ----------
    mixture : mapping
        The result's ``mixture``: its ``components`` and ``residual``.

    Returns
    -------
    str
        e.g. ``mixture (share of signal, not a quantitative purity): Cocaine base 63% (its
        part scores 0.85: identified), Levamisole hydrochloride 37% (...); residual 0.112``.
    """
    from forensic.verdict import (  # noqa: PLC0415
        NOT_A_PURITY,
        SHARE_OF_SIGNAL,
        format_score,
        format_share,
    )

    parts = ", ".join(
        f"{c['name']} {format_share(c['fraction'])}"
        + (
            f" (its part scores {format_score(c['score'], c.get('q_value'))}: {c['verdict']})"
            if "score" in c
            else ""
        )
        for c in mixture["components"]
    )
    return (
        f"mixture ({SHARE_OF_SIGNAL}, {NOT_A_PURITY}): {parts}; residual {mixture['residual']:.3f}"
    )


def _peaks(hit: Mapping[str, Any]) -> str:
    matched, unmatched = hit.get("matched_peaks"), hit.get("unmatched_peaks")
    if matched is None or unmatched is None:  # a result recorded without them
        return "-"
    return f"{len(matched)}/{len(matched) + len(unmatched)}"


def hits_table(hits: Sequence[Mapping[str, Any]]) -> list[str]:
    """A result's hits as a table: rank, substance (and its provenance when it was not
    measured), score, q-value, shift of the reference's bands (cm-1) and peaks matched.

    Parameters
    ----------
    hits : sequence of mapping
        The hits to show, best first, as a result records them (``rank``, ``name``,
        ``score``, ``q_value``, ``shift_cm1``, ``matched_peaks``, ``unmatched_peaks``,
        ``provenance``); a field a result was recorded without is shown as ``-``.

    Returns
    -------
    list of str
        The heading, then one line per hit, each indented by two spaces.
    """
    from forensic.spectrum import is_measured  # noqa: PLC0415
    from forensic.verdict import format_q_value, format_score  # noqa: PLC0415

    names = []
    for hit in hits:
        provenance = hit.get("provenance")
        names.append(str(hit.get("name")) + ("" if is_measured(provenance) else f" ({provenance})"))
    width = max([SUBSTANCE_WIDTH, *map(len, names)])
    lines = [f"  {'#':>2}  {'substance':<{width}} {'score':>7} {'q-value':>8} {'shift':>7}  peaks"]
    for hit, name in zip(hits, names, strict=True):
        shift = hit.get("shift_cm1")
        lines.append(
            f"  {hit.get('rank', '-'):>2}  {name:<{width}} "
            f"{format_score(hit.get('score'), hit.get('q_value')):>7} "
            f"{format_q_value(hit.get('q_value')):>8} "
            f"{'-' if shift is None else f'{shift:+.1f}':>7}  {_peaks(hit)}"
        )
    return lines


def warning_lines(warnings: Sequence[str], advice: Sequence[str]) -> list[str]:
    """A result's warnings (the facts its record and report state) and, under them, what to do
    about them (for this screen only: advice is never recorded).

    Parameters
    ----------
    warnings : sequence of str
        The result's warnings.
    advice : sequence of str
        What the technician can do about them.

    Returns
    -------
    list of str
        ``  warning: ...`` lines, then ``  to do: ...`` lines.
    """
    return [f"  warning: {w}" for w in warnings] + [f"  to do: {a}" for a in advice]


def score_key(hits: Sequence[Mapping[str, Any]]) -> str | None:
    """What a score and a q-value mean (:data:`forensic.verdict.SCORE_KEY`), for a screen that
    showed a q-value.

    Parameters
    ----------
    hits : sequence of mapping
        The hits shown.

    Returns
    -------
    str or None
        The key in brackets, indented; None when no hit shown has a q-value (a library without
        a calibration), since the scores alone need no key.
    """
    from forensic.verdict import SCORE_KEY  # noqa: PLC0415

    if any(isinstance(hit.get("q_value"), (int, float)) for hit in hits):
        return f"  ({SCORE_KEY})"
    return None


def qualifier_line(identification: Mapping[str, Any], *, provenance: str | None) -> str:
    """Right under a result's headline: whether its spectrum was measured, and what an
    identification rests on when a reference it names was not measured from a sample, as the
    summary on page 1 of its report says it (:func:`forensic.identification.verdict_qualifier`).

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``, or as recorded in the store).
    provenance : str or None
        The provenance of the spectrum identified; None for a measurement.

    Returns
    -------
    str
        The line, indented by two spaces: ``  simulated spectrum: no evidential value; rests
        on a modelled reference (band table of low confidence)``.
    """
    from forensic.identification import verdict_qualifier  # noqa: PLC0415

    return f"  {verdict_qualifier(identification, provenance)}"


def result_lines(
    identification: Mapping[str, Any],
    *,
    provenance: str | None,
    top: int | None = None,
    key: bool = True,
) -> list[str]:
    """What a screen shows of a result under its headline, in the words of its report: what
    qualifies the verdict (:func:`qualifier_line`), what a no match cannot say, the closest
    references of an inconclusive verdict (none is a finding), what the hits are (a finding,
    or chance similarity), the hits, the mixture fit, what the scores mean, the verdict's
    reasons, its warnings and what to do (:func:`to_do`).

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``, or as recorded in the store), with its
        ``advice`` when there is any to give.
    provenance : str or None
        The provenance of the spectrum identified (its metadata's, or its measurement
        record's instrument's); None for a measurement. Required: a screen that left it out
        would call a simulated spectrum measured.
    top : int, optional
        Show only the best ``top`` hits (default: all the result holds).
    key : bool, default True
        Say what the scores and q-values mean (:func:`score_key`) under the hits; a command
        that shows many results says it once instead.

    Returns
    -------
    list of str
        The lines, each indented by two spaces.
    """
    from forensic.verdict import NO_MATCH_CANNOT_EXCLUDE, closest_line, hits_line  # noqa: PLC0415

    hits = list(identification.get("hits") or [])[:top]
    lines = [qualifier_line(identification, provenance=provenance)]
    if identification.get("verdict") == "no_match":  # where it is read, not only in the report
        lines.append(f"  {NO_MATCH_CANNOT_EXCLUDE}")
    closest = closest_line(identification)  # an inconclusive verdict names none
    if closest:
        lines.append(f"  {closest}")
    if hits:
        # what the ranks shown are: a finding, or chance similarity
        lines.append(f"  {hits_line({**identification, 'hits': hits})}")
        lines += hits_table(hits)
    if identification.get("mixture"):  # the shares the report gives the investigator
        lines.append(f"  {mixture_line(identification['mixture'])}")
    said = score_key(hits) if key else None
    if said:
        lines.append(said)
    lines += [f"  - {reason}" for reason in identification.get("reasons") or []]
    lines += warning_lines(identification.get("warnings") or [], to_do(identification))
    return lines


def to_do(identification: Mapping[str, Any], advice: Sequence[str] | None = None) -> list[str]:
    """What to do after a result, for its screen: the advice its warnings gave, then what its
    verdict asks for (after a NO MATCH: :func:`forensic.verdict.no_match_to_do`).

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``, or as recorded in the store).
    advice : sequence of str, optional
        The advice to give (default: the result's own ``advice``).

    Returns
    -------
    list of str
        Each thing to do once, in that order.
    """
    from forensic.verdict import no_match_to_do  # noqa: PLC0415

    said = list(identification.get("advice") or [] if advice is None else advice)
    after = no_match_to_do(identification)
    return list(dict.fromkeys(said + ([after] if after else [])))
