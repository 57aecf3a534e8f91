"""The accuracy benchmark's output: it says what its verdicts' q-values were calibrated on."""

from __future__ import annotations

import io

from benchmarks import accuracy
from benchmarks import run as benchmark_run


def test_the_accuracy_lines_say_the_verdicts_are_read_on_an_in_sample_calibration():
    entry = {
        "queries": 2,
        "subset": "all",
        "library_files": 9,
        "plain_cosine": {"clean": {"top1": 0.5, "top5": 1.0}},
        "engine": {
            "calibration": accuracy.CALIBRATION,
            "clean": {
                "top1": 1.0,
                "top5": 1.0,
                "verdicts": {"identified": 1, "inconclusive": 1},
                "identified_right": 1,
            },
        },
    }
    stream = io.StringIO()
    benchmark_run.Report(stream).accuracy("raman", entry)
    assert stream.getvalue().splitlines() == [
        "  raman: 2 queries (all), library 9 files",
        "    clean       plain cosine top-1 0.500 top-5 1.000 | engine top-1 1.000 top-5 1.000; "
        "identified 1 (1 right), inconclusive 1, no_match 0",
        "    engine verdicts' q-values: in sample: the q-values come from one calibration of the "
        "whole library, the query's own sample included; the held-out check (--only "
        "calibration) measures them on spectra a calibration never saw",
    ]


def test_an_accuracy_run_of_the_engine_records_its_in_sample_calibration(monkeypatch):
    class Runner:
        def __init__(self, spectra, samples, modality):
            self.samples = ["a", "b"]
            self.skipped = []

        def identify(self, query, *, exclude_sample, top=5):
            return {"hits": [{"name": "Quartz"}], "verdict": "identified"}

    class Record:
        name = "Quartz"
        sample = "R1"
        modality = "raman"
        wavenumber = (1.0, 2.0)
        intensity = (1.0, 2.0)

        def spectrum(self, y=None):
            return None

    monkeypatch.setattr(accuracy.engine, "LosoRunner", Runner)
    monkeypatch.setattr(accuracy.perturb, "apply", lambda c, x, y, rng, m, k: (x, y))
    out = accuracy.engine_accuracy("raman", [Record()], [], [0], ["clean"])
    assert out["calibration"] == accuracy.CALIBRATION
    assert out["clean"]["identified_right"] == 1
