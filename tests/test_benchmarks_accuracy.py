"""The accuracy benchmark's output: it says what its verdicts' q-values were calibrated on."""

from __future__ import annotations

import io

from synthetic import make_spectrum

from benchmarks import accuracy
from benchmarks import run as benchmark_run
from forensic.library import Library
from forensic.verdict import MARGIN_MIN


def test_the_accuracy_lines_say_the_verdicts_are_read_on_an_in_sample_calibration():
    entry = {
        "queries": 2,
        "subset": "all",
        "library_files": 9,
        "plain_cosine": {"clean": {"top1": 0.5, "top5": 1.0}},
        "engine": {
            "calibration": accuracy.CALIBRATION,
            "margin_min": 0.15,
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
        "    engine verdicts' margin over the best different substance: 0.15 (the library's own, "
        "calibration step 7)",
    ]


def test_an_accuracy_run_of_the_engine_records_its_in_sample_calibration(monkeypatch):
    class Runner:
        def __init__(self, spectra, samples, modality):
            self.samples = ["a", "b"]
            self.skipped = []
            self.library = Library.from_spectra(
                [make_spectrum([(400.0 + 90 * i, 1.0, 8.0)], name=f"s{i}") for i in range(4)]
            )

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
    # a library of a few references keeps the floor; the run records what it identified at
    assert out["margin_min"] == MARGIN_MIN == 0.02
    assert out["clean"]["identified_right"] == 1


def test_the_margin_recorded_is_the_one_the_library_chose_and_none_uncalibrated():
    library = Library.from_spectra(
        [make_spectrum([(400.0 + 90 * i, 1.0, 8.0)], name=f"s{i}") for i in range(4)]
    )
    block = library.blocks["raman"]
    chosen = dict(block.calibration, margin_min=0.075)
    block.calibration = chosen
    assert accuracy.margin_chosen(library, "raman") == 0.075
    assert accuracy.margin_chosen(library, "ir") is None
