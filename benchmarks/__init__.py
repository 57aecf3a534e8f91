"""Benchmarks of the identification engine: speed, accuracy, robustness, drugs, mixtures.

Run everything with one command from the project root::

    python -m benchmarks            # full run (minutes to tens of minutes on 2 cores)
    python -m benchmarks --quick    # smaller libraries and subsets (a couple of minutes)

Every figure printed is measured in that run; the results are also written as JSON
(``benchmarks/results/latest.json`` unless ``--out`` says otherwise). Real spectra are read from
the shared data folder (``FORENSIC_SHARED_DATA`` or ``../shared/data``), never copied. Speed
libraries are *synthetic* (random Lorentzian bands) and are labelled so.
"""
