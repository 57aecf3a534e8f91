"""A simulated FTIR whose "instrument software" writes exports into a folder, slowly.

Each :meth:`FTIRFolderSimulator.trigger` writes one absorbance spectrum (see
:func:`drivers.simulators.synth.simulate_ftir`) as a two-column CSV export, in chunks with
pauses, as a real instrument PC writing over a slow disk would: the folder driver must wait for
the file to be complete. The export's header comment says the data are simulated, and the
driver stamps ``provenance = "simulated"``.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from drivers.simulators.synth import simulate_ftir
from forensic.spectrum import Spectrum

__all__ = ["FTIRFolderSimulator", "export_bytes"]


def export_bytes(spectrum: Spectrum) -> bytes:
    """The CSV export of a simulated FTIR spectrum (wavenumber, absorbance).

    Parameters
    ----------
    spectrum : Spectrum
        The simulated spectrum (wavenumber in cm⁻¹, absorbance).

    Returns
    -------
    bytes
        ASCII CSV: a header line ``wavenumber_cm-1,absorbance``, then one line a point
        (wavenumber to 0.01 cm⁻¹, absorbance to 6 decimals).
    """
    rows = np.column_stack((spectrum.wavenumber, spectrum.intensity))
    lines = ["wavenumber_cm-1,absorbance"]
    lines += [f"{x:.2f},{y:.6f}" for x, y in rows]
    return ("\n".join(lines) + "\n").encode("ascii")


class FTIRFolderSimulator:
    """Writes simulated FTIR exports into ``folder`` (a new temporary folder by default).

    Parameters
    ----------
    reference : Spectrum
        An IR reference spectrum.
    folder : path, optional
    chunks : int, default 4
        Number of pieces each export is written in.
    chunk_delay_s : float, default 0.15
        Pause between pieces.
    seed : int, optional
    """

    def __init__(
        self,
        reference: Spectrum,
        folder: str | Path | None = None,
        *,
        chunks: int = 4,
        chunk_delay_s: float = 0.15,
        seed: int | None = None,
    ) -> None:
        self.reference = reference
        self._tmp = None
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="forensic-ftir-sim-")
            folder = self._tmp.name
        self.folder = Path(folder)
        self.chunks = max(1, chunks)
        self.chunk_delay_s = chunk_delay_s
        self.seed = seed
        self.count = 0
        self._threads: list[threading.Thread] = []

    def write_export(self) -> Path:
        """Write one export now, in chunks (blocking); returns its path."""
        self.count += 1
        seed = None if self.seed is None else self.seed + self.count
        data = export_bytes(simulate_ftir(self.reference, seed=seed))
        path = self.folder / f"ftir_export_{self.count:04d}.csv"
        size = -(-len(data) // self.chunks)
        with open(path, "wb") as handle:
            for start in range(0, len(data), size):
                handle.write(data[start : start + size])
                handle.flush()
                time.sleep(self.chunk_delay_s)
        return path

    def trigger(self) -> None:
        """Start writing one export in the background (the operator pressed "scan")."""
        thread = threading.Thread(target=self.write_export, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Wait for pending exports and remove the temporary folder, if one was made."""
        for thread in self._threads:
            thread.join(timeout=5.0)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
