"""Benchmark of the instrument layer: frame decoding and end-to-end acquisitions over a pty.

Run alone: ``python benchmarks/bench_drivers.py [--seconds 2]``.

Figures are machine-dependent, so each is printed with a ratio against a baseline measured in
the same run: the raw byte throughput of a pseudo-terminal read through the same
:class:`~drivers.transport.SerialTransport` (what any driver pays just to move the bytes).
The simulators run with ``realtime=False`` (no exposure wait) so the figures measure the
protocol and driver code, not the simulated integration time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import time

import numpy as np

from drivers.obp import OBPSpectrometer, decode_message, encode_message
from drivers.ocean_rs232 import (
    OceanRS232Spectrometer,
    decode_compressed,
    decode_spectrum,
    encode_spectrum,
)
from drivers.simulators.obp_sim import OBPSimulator
from drivers.simulators.ocean_sim import OceanRS232Simulator
from drivers.simulators.synth import RamanSynthesizer
from drivers.transport import SerialTransport
from forensic.spectrum import Spectrum

PIXELS = 2048


def _reference() -> Spectrum:
    x = np.arange(200.0, 3200.0, 1.0)
    y = np.zeros_like(x)
    for centre, height, width in ((620, 0.3, 8), (1001, 1.0, 6), (1602, 0.5, 10), (3054, 0.4, 14)):
        y += height * (width / 2) ** 2 / ((x - centre) ** 2 + (width / 2) ** 2)
    return Spectrum(x, y, modality="raman", metadata={"name": "benchmark bands"})


def _rate(func, seconds: float) -> float:
    """Calls per second of ``func`` over about ``seconds``."""
    func()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        func()
        count += 1
    return count / elapsed


def pty_throughput(seconds: float, block: int = 65536) -> float:
    """Baseline: bytes per second through a pty into SerialTransport.read_exact."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    payload = bytes(block)
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            try:
                os.write(master, payload)
            except OSError:
                return

    transport = SerialTransport(path, baudrate=115200)
    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    total, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        total += len(transport.read_exact(block, 5.0))
    stop.set()
    transport.close()
    os.close(master)
    os.close(slave)
    thread.join(timeout=1)
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    seconds = args.seconds
    reference = _reference()
    # 16 different scans decoded in turn: no cache ever sees the same frame twice in a row
    scans = RamanSynthesizer(reference, seed=0).scans(100, 16, laser_on=True)

    baseline = pty_throughput(seconds)
    print(f"baseline: raw pty throughput {baseline / 1e6:8.1f} MB/s (SerialTransport.read_exact)")
    print()

    def ocean(**options):
        return [encode_spectrum(c, scans=1, integration_time_ms=100, **options) for c in scans]

    frames = {
        "ocean-rs232 plain + checksum": (
            ocean(checksum=True),
            lambda f: decode_spectrum(f, PIXELS, checksum=True),
        ),
        "ocean-rs232 compressed + checksum": (
            ocean(compressed=True, checksum=True),
            lambda f: decode_spectrum(f, PIXELS, compressed=True, checksum=True),
        ),
        "ocean-rs232 ASCII": (
            ocean(ascii_mode=True),
            lambda f: decode_spectrum(f, PIXELS, ascii_mode=True),
        ),
        "obp spectrum + MD5": (
            [encode_message(0x00101100, c.astype("<u2").tobytes()) for c in scans],
            decode_message,
        ),
    }
    print(f"{'frame decoding (2048 pixels)':36s} {'frames/s':>10s} {'MB/s':>8s} {'x pty':>7s}")
    for label, (batch, decode) in frames.items():
        cycle = itertools.cycle(batch)
        rate = _rate(lambda cycle=cycle, decode=decode: decode(next(cycle)), seconds)
        mbps = rate * float(np.mean([len(f) for f in batch]))
        print(f"{label:36s} {rate:10.0f} {mbps / 1e6:8.1f} {mbps / baseline:7.2f}")
    bodies = [f[15:-2] for f in ocean(compressed=True)]
    escaped = bodies[0].count(b"\x80")
    cycle = itertools.cycle(bodies)
    rate = _rate(lambda: decode_compressed(next(cycle), PIXELS), seconds)
    label = "  of which decompression alone"
    print(f"{label:36s} {rate:10.0f}   ({escaped} escapes in {len(bodies[0])} bytes)")
    print()
    print(f"{'end to end over the pty':36s} {'acq/s':>10s} {'ms/acq':>8s} {'x pty':>7s}")
    for label, sim_class, driver in (
        ("ocean-rs232 (sample + dark, 10 ms)", OceanRS232Simulator, OceanRS232Spectrometer),
        ("obp (sample + dark, 10 ms)", OBPSimulator, OBPSpectrometer),
    ):
        with (
            sim_class(reference, seed=1, realtime=False, baud=115200) as sim,
            driver(SerialTransport(sim.device_path, baudrate=115200)) as spec,
        ):
            transport = spec.transport
            before = transport.bytes_read
            spec.acquire(integration_time_ms=10)
            per_acquisition = transport.bytes_read - before
            rate = _rate(lambda spec=spec: spec.acquire(integration_time_ms=10), seconds)
        # ratio: time the bytes alone would take at the pty baseline / time per acquisition
        ideal = per_acquisition / baseline
        print(f"{label:36s} {rate:10.1f} {1000 / rate:8.1f} {ideal * rate:7.3f}")
    print()
    print("x pty: decoding speed (or, end to end, the share of the time spent moving the bytes)")
    print("relative to the raw pty throughput measured above; simulated spectra, realtime=False.")


if __name__ == "__main__":
    main()
