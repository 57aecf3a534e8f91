"""Small library folders for the curation tests: synthetic references and shipped copies.

Synthetic references carry ``provenance = simulated``: they are test fixtures, never presented
as measured.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

from synthetic import make_spectrum

from forensic.curation import read_manifest, write_manifest
from forensic.io import write_spectrum
from spectral_library import LIBRARY_DIR

# name, CAS (real check digits), bands (centre cm-1, height, fwhm cm-1)
SYNTHETIC = [
    ("Alphaine", "64-17-5", [(480, 0.6, 8), (1010, 1.0, 7), (1450, 0.4, 10), (2950, 0.5, 14)]),
    ("Betaine test", "67-64-1", [(620, 0.8, 6), (860, 1.0, 8), (1240, 0.5, 9), (1610, 0.7, 9)]),
    ("Gammaol", "71-43-2", [(330, 0.5, 9), (720, 1.0, 6), (1150, 0.6, 8), (1720, 0.9, 12)]),
    ("Deltamide", "108-88-3", [(560, 1.0, 7), (940, 0.5, 6), (1330, 0.8, 10), (3060, 0.6, 12)]),
    ("Epsilonate", "67-56-1", [(410, 0.7, 8), (1080, 1.0, 9), (1520, 0.4, 7), (2880, 0.8, 15)]),
    ("Zetazine", "64-19-7", [(760, 1.0, 8), (1190, 0.7, 6), (1380, 0.5, 8), (1660, 0.9, 11)]),
]

SHIPPED_IDS = ("paracetamol-raman", "caffeine-raman", "paracetamol-ir", "caffeine-ir")
"""Shipped (modelled) references copied into the small libraries."""


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def synthetic_spectrum(index: int, *, noise: float = 0.002, seed: int | None = None, **kw):
    """The synthetic reference ``index`` of :data:`SYNTHETIC` as a Raman spectrum."""
    name, _, bands = SYNTHETIC[index]
    return make_spectrum(bands, noise=noise, seed=index if seed is None else seed, name=name, **kw)


def make_library(folder: Path, *, shipped: bool = True) -> Path:
    """A library folder with the synthetic references (and copies of a few shipped ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (name, cas, _) in enumerate(SYNTHETIC):
        entry_id = f"{_slug(name)}-raman"
        spectrum = synthetic_spectrum(i).with_metadata(
            entry_id=entry_id, cas=cas, provenance="simulated", **{"class": "test substance"}
        )
        write_spectrum(spectrum, folder / "raman" / f"{entry_id}.jdx")
        rows.append(
            {
                "id": entry_id,
                "file": f"raman/{entry_id}.jdx",
                "name": name,
                "cas": cas,
                "class": "test substance",
                "modality": "raman",
                "provenance": "simulated",
                "source": "synthetic test spectrum (tests/synthetic.py)",
                "licence": "MIT",
                "added_by": "test suite",
                "added_at": "2026-11-22",
            }
        )
    if shipped:
        for row in read_manifest(Path(LIBRARY_DIR) / "manifest.csv"):
            if row["id"] in SHIPPED_IDS:
                target = folder / row["file"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(LIBRARY_DIR) / row["file"], target)
                rows.append(row)
    write_manifest(folder / "manifest.csv", rows)
    return folder


def measured_paracetamol(path: Path, *, seed: int = 3) -> Path:
    """A stand-in 'measured' paracetamol file (synthetic bands at paracetamol's positions);
    another ``seed`` is another measurement (other noise)."""
    bands = [
        (390, 0.3, 8),
        (465, 0.3, 8),
        (651, 0.4, 7),
        (797, 0.6, 7),
        (857, 1.0, 7),
        (1168, 0.5, 8),
        (1236, 0.5, 8),
        (1324, 0.5, 9),
        (1610, 0.8, 9),
        (1648, 0.4, 9),
    ]
    s = make_spectrum(bands, noise=0.003, seed=seed, baseline=0.2).with_metadata(
        instrument_model="Test Raman 785", laser_wavelength_nm=785.0
    )
    return write_spectrum(s, path)


def replicates_spc(path: Path, count: int = 3, *, log: bytes = b"") -> Path:
    """A Galactic SPC file (new format, ``TMULTI``) of ``count`` Raman spectra of one sample on
    one axis, as an instrument writes a series of replicate measurements: the comment describes
    the series and no subfile has a name of its own; ``log`` is the text of a log block
    (``b"Sample Name=...\\r\\n"``)."""
    first, last = 200.0, 1800.0
    spectrum = make_spectrum(SYNTHETIC[0][2], start=first, stop=last, step=2.0, noise=0.002, seed=5)
    npts = len(spectrum)
    head = bytearray(512)
    struct.pack_into("<BBBb", head, 0, 0x04, 0x4B, 11, 0)  # TMULTI, new LSB, Raman
    struct.pack_into("<iddi", head, 4, npts, first, last, count)
    struct.pack_into("<BBBB", head, 28, 13, 4, 0, 0)  # Raman shift (cm-1), counts
    comment = b"Replicate scans of the sample"
    head[88 : 88 + len(comment)] = comment
    body = b""
    for k in range(count):
        y = (1000.0 * spectrum.intensity * (1.0 + 0.01 * k) + 50.0).astype("<f4")
        sub = struct.pack("<BbHfffiif4s", 0, -128, k, float(k), 0.0, 0.0, 0, 0, 0.0, b"")
        body += sub + y.tobytes()
    if log:
        struct.pack_into("<i", head, 248, 512 + len(body))
        body += struct.pack("<iiiii44s", 64 + len(log) + 1, 4096, 64, 0, 0, b"") + log + b"\0"
    path.write_bytes(bytes(head) + body)
    return path
