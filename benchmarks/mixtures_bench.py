"""Mixtures made from the real ENFSI IR spectra: components found, false components.

Mixtures are linear combinations of the measured absorbance spectra (absorbance is additive
for an intimate mixture measured by ATR, to first order), each component scaled to its share of
the summed band intensity, plus white noise of 0.5 % of the range, over the wavenumbers that
every component was measured at (nothing is made up outside them). Every pure spectrum, with the
same noise over its own range, checks that no false component is reported. Two methods are
measured:

* ``fit_mixture`` alone: :func:`forensic.mixtures.fit_mixture` with all 104 references as
  candidates (linear absorbance on the 2 cm-1 grid): the selection method itself, with the
  largest room for false components.
* the engine: ``forensic.identify(..., mixtures=True)``, whose ``mixture`` lists the components
  (or, when it is null, the top hit counts as the one component found), and what its verdict
  names when it is ``identified`` (:func:`forensic.verdict.identified_substances`): every
  component, some of them, or a substance that is not in the sample.

Those references are the very spectra the mixtures are made of: the easy case. The RRUFF part
measures the engine where every component was measured on another sample than its references,
as in casework (:func:`cross_sample`): each dev sample's spectrum, pure, against a library of
every other sample plus the confusers (how many pure minerals are reported as mixtures), and
binary mixtures of the spectra of two samples of different minerals (1:1, 1:3, 3:1, shares of
the band area, summed on their common axis) against the library without both samples. The
pairs are drawn from samples whose pure spectrum is identified as its mineral, so the figure is
that of the mixture method, not of single identification.
"""

from __future__ import annotations

import numpy as np

from benchmarks import accuracy, baseline, datasets, engine
from forensic.library import substance_key
from forensic.mixtures import fit_mixture
from forensic.spectrum import Spectrum
from forensic.verdict import identified_substances

BINARY = [
    ("cocaine", "levamisol"),
    ("cocaine", "caffeine"),
    ("cocaine", "lidocaine"),
    ("heroin", "caffeine"),
    ("heroin", "paracetamol_4_acetaminophenol"),
    ("amphetamine", "caffeine"),
    ("ketamine", "benzocaine"),
    ("mdma", "caffeine"),
]
TERNARY = [
    ("cocaine", "levamisol", "caffeine"),
    ("heroin", "caffeine", "paracetamol_4_acetaminophenol"),
    ("cocaine", "lidocaine", "phenacetin"),
]
BINARY_RATIOS = [(1, 1), (1, 2), (1, 4), (1, 9), (9, 1)]
TERNARY_RATIOS = [(1, 1, 1), (2, 1, 1), (1, 2, 6), (6, 3, 1)]
NOISE = 0.005
CANDIDATES = 10


def _cases(quick: bool):
    binary = BINARY[:4] if quick else BINARY
    ternary = TERNARY[:2] if quick else TERNARY
    for combo in binary:
        for ratio in BINARY_RATIOS:
            yield combo, ratio
    for combo in ternary:
        for ratio in TERNARY_RATIOS:
            yield combo, ratio


def _score(found: set[str], truth: set[str]) -> tuple[int, int]:
    return len(found & truth), len(found - truth)


def run(quick: bool, report) -> dict:
    if not (datasets.SHARED_DATA / "substances" / "enfsi-ir").is_dir():
        return {"skipped": "shared data absent"}
    records = datasets.enfsi()
    ids = [r.sample for r in records]
    by_id = {r.sample: r for r in records}
    grid = baseline.GRIDS["ir"]
    # linear absorbance on the grid, each scaled to unit band sum (the share unit)
    raw = np.stack([baseline.to_grid(r.wavenumber, r.intensity, grid) for r in records])
    raw = raw / raw.sum(axis=1, keepdims=True)
    # each spectrum's measured range on the grid: a mixture exists where all its parts do
    measured = np.stack(
        [(grid >= r.wavenumber.min()) & (grid <= r.wavenumber.max()) for r in records]
    )
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    rng = np.random.default_rng(0)

    def mix(combo, ratio):
        share = np.asarray(ratio, float) / sum(ratio)
        rows = [ids.index(c) for c in combo]
        valid = measured[rows].all(axis=0)
        y = np.where(valid, share @ raw[rows], 0.0)
        return y + valid * rng.normal(0, NOISE * float(np.ptp(y)), y.size), valid

    def method_alone(y, valid):
        fit = fit_mixture(y, raw, valid)
        if fit is None:
            return {ids[int(np.argmax(unit @ (y * valid)))]}, None
        return {ids[i] for i, _ in fit.components}, fit

    out: dict = {"noise": NOISE, "engine_top": CANDIDATES, "cases": []}
    tot = {"fit_mixture": [0, 0, 0], "engine": [0, 0, 0]}  # found, expected, false
    named = _named_counts()  # what the engine's identified verdicts name
    eng_ok = engine.available()
    library = None
    if eng_ok:
        try:
            library = engine.build([r.spectrum() for r in records])
        except Exception as exc:
            out["engine_error"] = f"{type(exc).__name__}: {exc}"
            eng_ok = False
    for combo, ratio in _cases(quick):
        y, valid = mix(combo, ratio)
        truth = set(combo)
        found, fit = method_alone(y, valid)
        hit, false = _score(found, truth)
        case = {
            "components": list(combo),
            "ratio": list(ratio),
            "fit_mixture": {"found": sorted(found), "right": hit, "false": false},
        }
        if fit is not None:
            case["fit_mixture"]["residual"] = fit.residual
        tot["fit_mixture"][0] += hit
        tot["fit_mixture"][1] += len(truth)
        tot["fit_mixture"][2] += false
        if eng_ok:
            try:
                found_e, named_e = _engine_components(grid[valid], y[valid], library, by_id)
                h, f = _score(found_e, truth)
                case["engine"] = {"found": sorted(found_e), "right": h, "false": f}
                case["engine"]["named"] = sorted(named_e) if named_e is not None else None
                _count_named(named, named_e, truth)
                tot["engine"][0] += h
                tot["engine"][1] += len(truth)
                tot["engine"][2] += f
            except Exception as exc:
                case["engine"] = {"error": f"{type(exc).__name__}: {exc}"}
        out["cases"].append(case)
    # pure spectra: no false components
    pure_false = {"fit_mixture": 0, "engine": 0}
    pure_named = _named_counts()
    pure_n = 0
    for i, r in enumerate(records):
        if quick and i % 2:
            continue
        pure_n += 1
        valid = measured[i]
        y = raw[i] + valid * rng.normal(0, NOISE * float(np.ptp(raw[i])), grid.size)
        found, _ = method_alone(y, valid)
        pure_false["fit_mixture"] += len(found - {r.sample})
        if eng_ok:
            try:
                found_e, named_e = _engine_components(grid[valid], y[valid], library, by_id)
                pure_false["engine"] += len(found_e - {r.sample})
                _count_named(pure_named, named_e, {r.sample})
            except Exception:
                pure_false["engine"] += 0
    out["totals"] = {
        k: {"found": v[0], "expected": v[1], "false": v[2]}
        for k, v in tot.items()
        if k == "fit_mixture" or eng_ok
    }
    out["pure"] = {
        "n": pure_n,
        **{k: v for k, v in pure_false.items() if k == "fit_mixture" or eng_ok},
    }
    if eng_ok:
        out["engine_verdicts"] = {"mixtures": named, "pure": pure_named}
    if not eng_ok:
        out["engine"] = {"skipped": out.get("engine_error") or engine.why_unavailable()}
    if eng_ok:
        out["rruff"] = {
            modality: cross_sample(modality, quick)
            for modality in ("raman", "ir")
            if (datasets.SHARED_DATA / "rruff" / f"{modality}-dev").is_dir()
        }
    report.mixtures(out)
    return out


CROSS_RATIOS = [(1, 1), (1, 3), (3, 1)]


def cross_sample(modality: str, quick: bool) -> dict:
    """Pure spectra and binary mixtures of real samples, each against the other samples."""
    dev, confusers, queries = accuracy.load(modality)
    if quick:
        queries = queries[:: {"raman": 6, "ir": 3}[modality]]
    lib = dev + confusers
    runner = engine.LosoRunner([r.spectrum() for r in lib], [r.sample for r in lib], modality)
    pure = {"n": 0, "as_mixture": 0, "false_components": 0, "as_mixture_identified": 0}
    pure_named = _named_counts()
    identified = []
    for qi in queries:
        r = dev[qi]
        res = runner.identify(r.spectrum(), exclude_sample=r.sample, top=1, mixtures=True)
        truth = substance_key(r.name)
        pure["n"] += 1
        _count_named(pure_named, _named(res), {truth})
        if res["mixture"]:
            names = [substance_key(c["name"]) for c in res["mixture"]["components"]]
            pure["as_mixture"] += 1
            pure["false_components"] += sum(n != truth for n in names)
            pure["as_mixture_identified"] += res["verdict"] == "identified"
        elif res["verdict"] == "identified" and substance_key(res["hits"][0]["name"]) == truth:
            identified.append(qi)
    rng = np.random.default_rng(3)
    n_pairs = 15 if quick else 60
    binary = {"n": 0, "expected": 0, "found": 0, "false": 0, "as_mixture": 0}
    binary_named = _named_counts()
    tries = 0
    while binary["n"] < n_pairs and len(identified) >= 2 and tries < 20 * n_pairs:
        tries += 1
        a, b = (dev[i] for i in rng.choice(identified, 2, replace=False))
        if substance_key(a.name) == substance_key(b.name):
            continue
        lo = max(a.wavenumber.min(), b.wavenumber.min())
        hi = min(a.wavenumber.max(), b.wavenumber.max())
        if hi - lo < 300:
            continue
        x = np.arange(np.ceil(lo), np.floor(hi), 1.0)
        parts = []
        for r in (a, b):
            y = np.interp(x, r.wavenumber, r.intensity)
            y = y - y.min()
            parts.append(y / y.sum())
        ratio = CROSS_RATIOS[binary["n"] % len(CROSS_RATIOS)]
        y = ratio[0] * parts[0] + ratio[1] * parts[1]
        query = datasets.as_spectrum(x, y, modality, {"name": f"{a.name} + {b.name}"})
        res = runner.identify(query, exclude_sample=[a.sample, b.sample], top=1, mixtures=True)
        truth = {substance_key(a.name), substance_key(b.name)}
        if res["mixture"]:
            found = {substance_key(c["name"]) for c in res["mixture"]["components"]}
            binary["as_mixture"] += 1
        else:
            found = {substance_key(res["hits"][0]["name"])}
        binary["n"] += 1
        binary["expected"] += 2
        binary["found"] += len(found & truth)
        binary["false"] += len(found - truth)
        _count_named(binary_named, _named(res), truth)
    pure["verdicts"], binary["verdicts"] = pure_named, binary_named
    return {"pure": pure, "binary": binary}


def _named_counts() -> dict:
    """Tallies of identified verdicts: naming every substance of the sample and nothing else
    (``all``), only some of them and nothing else (``some``), or something not in it
    (``wrong``); ``n`` counts every result."""
    return {"n": 0, "all": 0, "some": 0, "wrong": 0}


def _named(res: dict) -> set[str] | None:
    """The substance keys an identified result names (None when it is not identified)."""
    if res["verdict"] != "identified":
        return None
    best = res["hits"][0]["name"]
    named, _ = identified_substances(best, (res.get("mixture") or {}).get("components") or [])
    return {substance_key(name) for name in named}


def _count_named(counts: dict, named: set[str] | None, truth: set[str]) -> None:
    counts["n"] += 1
    if named is None:
        return
    if named - truth:
        counts["wrong"] += 1
    elif named == truth:
        counts["all"] += 1
    else:
        counts["some"] += 1


def _engine_components(wavenumber, y, library, by_id) -> tuple[set[str], set[str] | None]:
    """The components the engine finds (its mixture's, or its top hit), and the ones its
    verdict names when it is identified (None otherwise), as ENFSI ids."""
    spec = Spectrum(wavenumber, y, modality="ir", y_unit="absorbance", metadata={"name": "mixture"})
    res = engine.identify(spec, library, top=CANDIDATES, mixtures=True)
    name_to_id = {r.name: k for k, r in by_id.items()}
    if res.get("mixture"):
        found = {name_to_id.get(c["name"], c["name"]) for c in res["mixture"]["components"]}
    else:
        hits = res.get("hits") or []
        found = {name_to_id.get(hits[0]["name"], hits[0]["name"])} if hits else set()
    named = _named(res)
    if named is not None:
        by_key = {substance_key(name): k for name, k in name_to_id.items()}
        named = {by_key.get(key, key) for key in named}
    return found, named
