"""Readers for the shared real spectra used by the benchmarks (read in place, never copied)."""

from __future__ import annotations

import collections
import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forensic.spectrum import Spectrum

SHARED_DATA = Path(
    os.environ.get(
        "FORENSIC_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


@dataclass(frozen=True)
class Record:
    """One measured spectrum with what the protocol needs to know about it."""

    path: Path
    name: str  # substance / mineral name
    sample: str  # RRUFF sample id (or the ENFSI id)
    laser: str  # "532", "785", ... for Raman; "" for IR
    wavenumber: np.ndarray
    intensity: np.ndarray
    modality: str

    def spectrum(self, intensity: np.ndarray | None = None, **extra) -> Spectrum:
        """This record as a :class:`Spectrum` (optionally with other intensities)."""
        y = self.intensity if intensity is None else intensity
        return as_spectrum(
            self.wavenumber,
            y,
            self.modality,
            {"name": self.name, "source_file": str(self.path), **extra},
        )


def as_spectrum(wavenumber, intensity, modality: str, metadata: dict) -> Spectrum:
    """Readings of the shared data as a :class:`Spectrum`: IR is absorbance there, Raman counts
    in arbitrary units."""
    return Spectrum.from_readings(
        wavenumber,
        intensity,
        modality=modality,
        y_unit="absorbance" if modality == "ir" else "arbitrary",
        metadata=metadata,
    )


def _read_xy(path: Path, delimiter: str = ",") -> tuple[np.ndarray, np.ndarray]:
    rows = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split(delimiter)
            try:
                rows.append((float(parts[0]), float(parts[1])))
            except (ValueError, IndexError):
                continue  # a header line
    a = np.asarray(rows, dtype=float)
    order = np.argsort(a[:, 0], kind="stable")
    x, y = a[order, 0], a[order, 1]
    keep = np.concatenate([[True], np.diff(x) > 0])
    return x[keep], y[keep]


def _header(path: Path) -> dict[str, str]:
    out = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("##"):
                break
            key, _, value = line[2:].partition("=")
            out[key.strip().upper()] = value.strip()
    return out


def rruff(kind: str, modality: str) -> list[Record]:
    """All spectra of ``rruff/<kind>`` (e.g. ``raman-dev``), sorted by file name."""
    folder = SHARED_DATA / "rruff" / kind
    records = []
    for path in sorted(folder.glob("*.txt")):
        parts = path.name.split("__")
        head = _header(path)
        x, y = _read_xy(path)
        if x.size < 16:
            continue
        records.append(
            Record(
                path=path,
                name=head.get("NAMES", parts[0]),
                sample=head.get("RRUFFID", parts[1]).split("-")[0],
                laser=parts[3] if modality == "raman" and len(parts) > 3 else "",
                wavenumber=x,
                intensity=y,
                modality=modality,
            )
        )
    return records


def loso_queries(dev: list[Record]) -> list[int]:
    """The protocol's queries: one file per dev sample, the 532 nm one where there is one."""
    by_sample: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(dev):
        by_sample[r.sample].append(i)
    queries = []
    for sample in sorted(by_sample):
        idx = by_sample[sample]
        pick = [i for i in idx if dev[i].laser == "532"] or idx
        queries.append(pick[0])
    return queries


def enfsi() -> list[Record]:
    """The 104 ENFSI IR spectra (absorbance scaled to max 1, ~8 cm-1 resolution)."""
    folder = SHARED_DATA / "substances" / "enfsi-ir"
    records = []
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            x, y = _read_xy(folder / row["file"])
            records.append(
                Record(
                    path=folder / row["file"],
                    name=row["name"],
                    sample=row["id"],
                    laser="",
                    wavenumber=x,
                    intensity=y,
                    modality="ir",
                )
            )
    return records


def available() -> bool:
    """Whether the shared data folder is present (a user's clone may lack it)."""
    return (SHARED_DATA / "rruff").is_dir()
