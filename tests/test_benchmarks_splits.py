"""The seeded splits of ``python -m benchmarks --only splits``: one sample per mineral as the
query, every other sample's files and the confusers in the library, each split drawn from its
seed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

import numpy as np

from benchmarks import datasets, splits
from benchmarks import run as benchmark_run


def _record(name: str, sample: str, laser: str, modality: str = "raman") -> datasets.Record:
    return datasets.Record(
        path=Path(f"{name}__{sample}__{laser}.txt"),
        name=name,
        sample=sample,
        laser=laser,
        wavenumber=np.arange(16.0),
        intensity=np.ones(16),
        modality=modality,
    )


# Albite: three samples (one with 514/532/785 nm files, one without a 532 nm file); Calcite:
# two; Quartz: one sample of two files, neither at 532 nm
DEV = [
    _record("Albite", "R1", "514"),
    _record("Albite", "R1", "532"),
    _record("Albite", "R1", "785"),
    _record("Albite", "R2", "785"),
    _record("Albite", "R2", "514"),
    _record("Albite", "R3", "532"),
    _record("Calcite", "R4", "532"),
    _record("Calcite", "R5", "785"),
    _record("Quartz", "R6", "785"),
    _record("Quartz", "R6", "514"),
]
CONFUSERS = [_record("Anorthite", "R9", "532")]


def test_a_split_queries_one_sample_of_each_mineral_by_its_532_nm_file_where_it_has_one():
    for seed in range(20):
        queries = splits.split_queries(DEV, seed)
        assert [DEV[i].name for i in queries] == ["Albite", "Calcite", "Quartz"]
        for i in queries:
            files = [r for r in DEV if r.sample == DEV[i].sample]
            has_532 = any(r.laser == "532" for r in files)
            assert DEV[i].laser == "532" if has_532 else DEV[i] is files[0]
        assert DEV[queries[2]].laser == "785"  # Quartz's first file: it has no 532 nm file


def test_every_split_is_drawn_again_from_its_seed_and_seeds_draw_every_sample():
    drawn = set()
    for seed in range(20):
        queries = splits.split_queries(DEV, seed)
        assert splits.split_queries(list(DEV), seed) == queries
        drawn.update(DEV[i].sample for i in queries)
    assert drawn == {"R1", "R2", "R3", "R4", "R5", "R6"}
    assert len({tuple(splits.split_queries(DEV, s)) for s in splits.SEEDS}) > 1


class _Runner:
    """Stands for benchmarks.engine.LosoRunner: its best hit is the first library file of the
    query's mineral left in the library, else the first file left."""

    made: ClassVar[list] = []

    def __init__(self, spectra, samples, modality):
        self.samples = list(samples)
        self.names = [s.metadata["name"] for s in spectra]
        self.skipped = []
        self.calls = []
        _Runner.made.append(self)

    def identify(self, query, *, exclude_sample, top=5):
        gone = [exclude_sample] if isinstance(exclude_sample, str) else list(exclude_sample)
        self.calls.append((query.metadata["name"], sorted(gone)))
        left = [n for n, s in zip(self.names, self.samples, strict=True) if s not in gone]
        best = [n for n in left if n == query.metadata["name"]] or left
        return {"hits": [{"name": best[0]}], "verdict": "identified"}


def _shared_data(tmp_path, monkeypatch):
    for kind in ("raman-dev", "raman-confusers"):
        (tmp_path / "rruff" / kind).mkdir(parents=True)
    monkeypatch.setattr(datasets, "SHARED_DATA", tmp_path)
    monkeypatch.setattr(
        datasets, "rruff", lambda kind, modality: DEV if kind.endswith("-dev") else CONFUSERS
    )
    monkeypatch.setattr(splits.engine, "LosoRunner", _Runner)
    monkeypatch.setattr(splits.engine, "available", lambda: True)
    _Runner.made = []


def test_each_split_leaves_every_query_sample_out_of_the_library_and_says_its_top_1(
    tmp_path, monkeypatch
):
    _shared_data(tmp_path, monkeypatch)
    stream = io.StringIO()
    out = splits.run(False, benchmark_run.Report(stream))

    (runner,) = _Runner.made
    assert runner.samples == [r.sample for r in DEV + CONFUSERS]
    calls = iter(runner.calls)
    for seed in splits.SEEDS:
        gone = sorted(DEV[i].sample for i in splits.split_queries(DEV, seed))
        assert [next(calls) for _ in range(3)] == [
            (name, gone) for name in ("Albite", "Calcite", "Quartz")
        ]
    # every sample in turn: the library lacks that sample only
    assert list(calls) == [
        ("Albite", ["R1"]),
        ("Albite", ["R2"]),
        ("Albite", ["R3"]),
        ("Calcite", ["R4"]),
        ("Calcite", ["R5"]),
        ("Quartz", ["R6"]),
    ]
    # Quartz, its only sample out, is wrong in every split and as every sample
    entry = out["raman"]
    assert [s["top1"] for s in entry["splits"]] == [2 / 3] * 6
    assert entry["every_sample"] == {"queries": 6, "top1": 5 / 6}
    assert out["ir"] == {"skipped": "shared data absent"}
    assert stream.getvalue().splitlines() == [
        "  raman: 6 splits (seeds 0, 1, 2, 3, 4, 5), 3 queries each (one sample per mineral, "
        "against the other samples' files and the confusers: 11 files less the queries' "
        "samples): top-1 mean 0.667 (0.667, 0.667, 0.667, 0.667, 0.667, 0.667)",
        "  raman: every dev sample as the query in turn (6 queries, each against the library "
        "less its own sample): top-1 0.833",
    ]


def test_quick_measures_two_splits_and_not_every_sample(tmp_path, monkeypatch):
    _shared_data(tmp_path, monkeypatch)
    stream = io.StringIO()
    out = splits.run(True, benchmark_run.Report(stream))
    assert [s["seed"] for s in out["raman"]["splits"]] == [0, 1]
    assert "every_sample" not in out["raman"]
    assert len(stream.getvalue().splitlines()) == 1


def test_without_the_shared_data_the_section_says_it_is_skipped_and_why(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHARED_DATA", tmp_path / "absent")
    stream = io.StringIO()

    class Report(benchmark_run.Report):
        def __init__(self):
            super().__init__(stream)

    monkeypatch.setattr(benchmark_run, "Report", Report)
    assert benchmark_run.main(["--only", "splits", "--out", str(tmp_path / "out.json")]) == 0
    why = (
        f"shared data absent: no {tmp_path / 'absent'} (the measured spectra are not part of "
        "the repository; set FORENSIC_SHARED_DATA to where they are)"
    )
    assert stream.getvalue().splitlines()[:3] == [
        "== splits ==",
        f"  skipped (raman): {why}",
        f"  skipped (ir): {why}",
    ]
