"""Modelled reference spectra: a spectrum built from a published band table.

We have no measured spectra of controlled drugs that we may ship, so the shipped library holds
*modelled* references: for each substance a table of band positions (cm⁻¹), relative intensities
and widths taken from the published literature, turned here into a spectrum on a fixed axis.
A modelled reference is never presented as measured: its metadata says
``provenance = "modelled"`` and names the source of its band table.

This module is pure (no file I/O): the band tables are plain mappings (as parsed from the TOML
files in ``spectral_library/bands/``), and :func:`model_spectrum` returns a
:class:`~forensic.spectrum.Spectrum`. ``tools/model_library.py`` reads the tables and writes the
JCAMP-DX files and the manifest.

Band shapes
-----------
* ``lorentzian`` (default for Raman): the natural line shape of a Raman band in a solid.
* ``gaussian``: for broad, inhomogeneously broadened bands (hydrogen-bonded O-H/N-H stretches).
* ``voigt`` (default for IR): a pseudo-Voigt, ``eta`` Lorentzian + ``1 - eta`` Gaussian of the
  same FWHM, which is how ATR-FTIR bands of powders usually look.

Every shape is normalised to height 1 at its centre, so a band's ``intensity`` is its peak height
relative to the other bands of the table; the finished spectrum is scaled to a maximum of 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forensic.errors import LibraryError
from forensic.spectrum import Spectrum

__all__ = [
    "AXES",
    "BAND_SHAPES",
    "DEFAULT_SHAPE",
    "Band",
    "BandTable",
    "ModelledEntry",
    "band_profile",
    "entry_from_dict",
    "model_spectrum",
    "modelled_axis",
    "modelled_source",
    "source_confidence",
]

BAND_SHAPES = ("lorentzian", "gaussian", "voigt")

DEFAULT_SHAPE = {"raman": "lorentzian", "ir": "voigt"}
"""The band shape used when a band does not name one."""

VOIGT_ETA = 0.5
"""Lorentzian fraction of the pseudo-Voigt shape."""

AXES = {"raman": (150.0, 3400.0, 1.0), "ir": (550.0, 4000.0, 2.0)}
"""Axis (start, stop, step) in cm⁻¹ of the modelled references of each modality.

Raman: 150-3400 cm⁻¹ at 1 cm⁻¹ covers what portable 785 nm and 532 nm instruments record.
IR: 550-4000 cm⁻¹ at 2 cm⁻¹ covers a diamond ATR accessory at the usual 4 cm⁻¹ resolution.
"""

Y_UNIT = {"raman": "arbitrary", "ir": "absorbance"}

DECIMALS = 6
"""Intensities are rounded to this many decimals (of a maximum of 1) so the written files do
not depend on the last bits of a platform's ``exp``."""

CONFIDENCE_LEVELS = ("high", "medium", "low")

_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True)
class Band:
    """One vibrational band of a band table.

    Attributes
    ----------
    position_cm1 : float
        Band centre, cm⁻¹.
    intensity : float
        Peak height relative to the table's other bands (any positive scale).
    width_cm1 : float
        Full width at half maximum, cm⁻¹.
    shape : str or None
        One of :data:`BAND_SHAPES`; ``None`` takes the modality's :data:`DEFAULT_SHAPE`.
    """

    position_cm1: float
    intensity: float
    width_cm1: float
    shape: str | None = None

    def __post_init__(self) -> None:
        for what, value in (
            ("position", self.position_cm1),
            ("intensity", self.intensity),
            ("width", self.width_cm1),
        ):
            if not np.isfinite(value) or value <= 0:
                raise LibraryError(
                    f"band {what} must be a positive number, got {value!r} "
                    f"(band at {self.position_cm1!r} cm-1)"
                )
        if self.shape is not None and self.shape not in BAND_SHAPES:
            raise LibraryError(
                f"band shape must be one of {BAND_SHAPES}, got {self.shape!r} "
                f"(band at {self.position_cm1} cm-1)"
            )


@dataclass(frozen=True)
class BandTable:
    """The bands of one substance in one modality, and where they come from.

    Attributes
    ----------
    modality : {"raman", "ir"}
    bands : tuple of Band
    source : str
        The citation of the published band positions and intensities relied on.
    confidence : {"high", "medium", "low"}
        How closely the table follows a specific published table ("high") or rests on general
        knowledge of characteristic group frequencies ("low").
    notes : str
        Anything a reviewer should know (polymorph, salt form, bands left out).
    """

    modality: str
    bands: tuple[Band, ...]
    source: str
    confidence: str = "medium"
    notes: str = ""

    def __post_init__(self) -> None:
        if self.modality not in AXES:
            raise LibraryError(f"modality must be one of {tuple(AXES)}, got {self.modality!r}")
        if not self.bands:
            raise LibraryError(f"a {self.modality} band table needs at least one band")
        if not self.source.strip():
            raise LibraryError(f"a {self.modality} band table must name its source")
        if self.confidence not in CONFIDENCE_LEVELS:
            raise LibraryError(
                f"confidence must be one of {CONFIDENCE_LEVELS}, got {self.confidence!r}"
            )
        start, stop, _ = AXES[self.modality]
        outside = [b.position_cm1 for b in self.bands if not start <= b.position_cm1 <= stop]
        if outside:
            raise LibraryError(
                f"{self.modality} band(s) at {outside} cm-1 lie outside the modelled axis "
                f"{start:g}-{stop:g} cm-1"
            )


@dataclass(frozen=True)
class ModelledEntry:
    """A substance of the shipped library with its Raman and/or IR band tables.

    Attributes
    ----------
    entry_id : str
        The band table's ``id`` (its file is ``bands/<entry_id>.toml``).
    name : str
        The substance's name.
    cas : str
        CAS registry number; empty when not given.
    substance_class : str
        The class of substance (``"stimulant"``, ``"cutting agent"``...).
    salt_form : str
        The salt form (``"hydrochloride"``); empty for the base or unstated.
    synonyms : tuple of str
        Other names the substance is known by.
    legal_control : str
        Its legal status, as the band table states it.
    added_by, added_at : str
        Who added the band table, and when.
    licence : str
        The licence of the band data.
    tables : mapping of str to BandTable
        The band table of each modality given (``"raman"``, ``"ir"``).
    """

    entry_id: str
    name: str
    cas: str
    substance_class: str
    salt_form: str = ""
    synonyms: tuple[str, ...] = ()
    legal_control: str = ""
    added_by: str = ""
    added_at: str = ""
    licence: str = ""
    tables: Mapping[str, BandTable] = field(default_factory=dict)


def modelled_axis(modality: str) -> np.ndarray:
    """The wavenumber axis (cm⁻¹, shape (n,)) of the modelled references of ``modality``.

    Parameters
    ----------
    modality : {"raman", "ir"}
        The modality.

    Returns
    -------
    ndarray of float64, shape (n,)
        The axis, from start to stop of :data:`AXES` at its step (cm⁻¹).

    Raises
    ------
    LibraryError
        ``modality`` is neither ``"raman"`` nor ``"ir"``.
    """
    if modality not in AXES:
        raise LibraryError(f"modality must be one of {tuple(AXES)}, got {modality!r}")
    start, stop, step = AXES[modality]
    count = round((stop - start) / step) + 1
    return start + step * np.arange(count, dtype=np.float64)


def band_profile(
    wavenumber: np.ndarray, position_cm1: float, width_cm1: float, shape: str
) -> np.ndarray:
    """One band of height 1 at ``position_cm1`` with FWHM ``width_cm1`` (cm⁻¹) on ``wavenumber``.

    Parameters
    ----------
    wavenumber : ndarray, shape (n,)
    position_cm1, width_cm1 : float
    shape : {"lorentzian", "gaussian", "voigt"}

    Returns
    -------
    ndarray, shape (n,)
    """
    offset = np.asarray(wavenumber, dtype=np.float64) - position_cm1
    half = width_cm1 / 2.0
    lorentz = half**2 / (offset**2 + half**2)
    if shape == "lorentzian":
        return lorentz
    sigma = width_cm1 / _FWHM_PER_SIGMA
    gauss = np.exp(-0.5 * (offset / sigma) ** 2)
    if shape == "gaussian":
        return gauss
    if shape == "voigt":
        return VOIGT_ETA * lorentz + (1.0 - VOIGT_ETA) * gauss
    raise LibraryError(f"band shape must be one of {BAND_SHAPES}, got {shape!r}")


def model_spectrum(
    table: BandTable,
    *,
    name: str,
    entry_id: str,
    cas: str = "",
    substance_class: str = "",
    extra_metadata: Mapping[str, Any] | None = None,
) -> Spectrum:
    """Build the modelled reference spectrum of one band table.

    Parameters
    ----------
    table : BandTable
        The bands, their modality and their source.
    name : str
        Substance name as the library shows it (e.g. "Cocaine hydrochloride").
    entry_id : str
        The library id (e.g. "cocaine-hcl").
    cas : str, optional
        CAS registry number of the form described (salt or base).
    substance_class : str, optional
        Library class ("stimulant", "cutting agent", ...), stored as metadata ``class``.
    extra_metadata : mapping, optional
        Further metadata (synonyms, salt form, ...). It cannot override ``provenance``.

    Returns
    -------
    Spectrum
        On :func:`modelled_axis` of the table's modality, intensities scaled to a maximum of 1 and
        rounded to :data:`DECIMALS` decimals; y unit "arbitrary" (Raman) or "absorbance" (IR);
        metadata ``provenance = "modelled"``, ``name``, ``cas``, ``entry_id``, ``class``,
        ``band_source``, ``band_confidence``. The same table always gives the same numbers.
    """
    wavenumber = modelled_axis(table.modality)
    intensity = np.zeros_like(wavenumber)
    default = DEFAULT_SHAPE[table.modality]
    # Sum in a fixed order (sorted by position) so the result does not depend on table order.
    for band in sorted(table.bands, key=lambda b: (b.position_cm1, b.width_cm1, b.intensity)):
        intensity += band.intensity * band_profile(
            wavenumber, band.position_cm1, band.width_cm1, band.shape or default
        )
    intensity = np.round(intensity / intensity.max(), DECIMALS) + 0.0  # + 0.0 drops -0.0
    metadata: dict[str, Any] = dict(extra_metadata or {})
    metadata.update(
        {
            "name": name,
            "cas": cas,
            "entry_id": entry_id,
            "class": substance_class,
            "provenance": "modelled",
            "band_source": table.source,
            "band_confidence": table.confidence,
        }
    )
    return Spectrum(
        wavenumber,
        intensity,
        modality=table.modality,
        y_unit=Y_UNIT[table.modality],
        metadata=metadata,
    )


def _bands_from_rows(rows: Iterable[Any], where: str) -> tuple[Band, ...]:
    bands = []
    for index, row in enumerate(rows):
        if isinstance(row, Mapping):
            values = (row.get("position"), row.get("intensity"), row.get("width"), row.get("shape"))
        elif isinstance(row, Sequence) and not isinstance(row, str) and 3 <= len(row) <= 4:
            values = (*row, None) if len(row) == 3 else tuple(row)
        else:
            raise LibraryError(
                f"{where}: band {index + 1} must be [position_cm1, intensity, width_cm1] or "
                f"[position_cm1, intensity, width_cm1, shape], got {row!r}"
            )
        position, height, width, shape = values
        try:
            bands.append(Band(float(position), float(height), float(width), shape))
        except (TypeError, ValueError):
            raise LibraryError(
                f"{where}: band {index + 1} must hold numbers, got {row!r}"
            ) from None
        except LibraryError as exc:
            raise LibraryError(f"{where}: band {index + 1}: {exc}") from None
    return tuple(bands)


def entry_from_dict(data: Mapping[str, Any], *, where: str = "band table") -> ModelledEntry:
    """Turn one parsed band-table file (see ``spectral_library/bands/``) into a ModelledEntry.

    Parameters
    ----------
    data : mapping
        Keys ``id``, ``name``, ``cas``, ``class``, optional ``salt_form``, ``synonyms`` (list),
        ``legal_control``, ``added_by``, ``added_at``, ``licence``; and one table per modality
        under ``raman`` / ``ir`` with ``source``, ``confidence``, optional ``notes`` and ``bands``
        (a list of ``[position_cm1, relative_intensity, fwhm_cm1(, shape)]``).
    where : str
        Names the file in error messages.

    Returns
    -------
    ModelledEntry
        The entry, with a band table for each modality given.

    Raises
    ------
    LibraryError
        Naming ``where`` and the missing or wrong field.
    """
    for key in ("id", "name", "class"):
        if not str(data.get(key, "")).strip():
            raise LibraryError(f"{where}: the field {key!r} is missing or empty")
    tables = {}
    for modality in AXES:
        raw = data.get(modality)
        if raw is None:
            continue
        if not isinstance(raw, Mapping) or "bands" not in raw:
            raise LibraryError(f"{where}: [{modality}] must be a table with a 'bands' list")
        label = f"{where} [{modality}]"
        try:
            tables[modality] = BandTable(
                modality=modality,
                bands=_bands_from_rows(raw["bands"], label),
                source=str(raw.get("source", "")),
                confidence=str(raw.get("confidence", "medium")),
                notes=str(raw.get("notes", "")),
            )
        except LibraryError as exc:
            message = str(exc)
            raise LibraryError(
                message if message.startswith(label) else f"{label}: {message}"
            ) from None
    if not tables:
        raise LibraryError(f"{where}: no [raman] or [ir] band table")
    synonyms = data.get("synonyms", [])
    if isinstance(synonyms, str):
        synonyms = [s.strip() for s in synonyms.split(";") if s.strip()]
    return ModelledEntry(
        entry_id=str(data["id"]),
        name=str(data["name"]),
        cas=str(data.get("cas", "")),
        substance_class=str(data["class"]),
        salt_form=str(data.get("salt_form", "")),
        synonyms=tuple(str(s) for s in synonyms),
        legal_control=str(data.get("legal_control", "")),
        added_by=str(data.get("added_by", "")),
        added_at=str(data.get("added_at", "")),
        licence=str(data.get("licence", "")),
        tables=tables,
    )


def modelled_source(entry_id: str, table: BandTable) -> str:
    """The ``source`` of a modelled reference, as the library manifest states it: the band
    table's file, its confidence and the literature it names.

    Parameters
    ----------
    entry_id : str
        The band table's ``id``.
    table : BandTable
        The band table the reference is modelled from.

    Returns
    -------
    str
        ``modelled from bands/<entry_id>.toml (confidence <confidence>): <source>``.
    """
    return f"modelled from bands/{entry_id}.toml (confidence {table.confidence}): {table.source}"


_STATED_CONFIDENCE = re.compile(r"^modelled from \S+ \(confidence (high|medium|low)\):")


def source_confidence(source: str | None) -> str | None:
    """The band table's confidence a modelled reference's ``source`` states
    (:func:`modelled_source`), or None: how the confidence of a reference is known in results
    recorded before hits carried it (``band_confidence``).

    Parameters
    ----------
    source : str or None
        A reference's ``source``.

    Returns
    -------
    str or None
        The confidence (``"high"``, ``"medium"``, ``"low"``), or None when ``source`` is not
        that of a modelled reference.
    """
    found = _STATED_CONFIDENCE.match(str(source or ""))
    return found.group(1) if found else None
