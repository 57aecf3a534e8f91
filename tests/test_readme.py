"""The command blocks of the README and of the guides under ``docs/``, run as printed, as a new
user runs them: in a folder of their own, with a home folder of their own (``~`` is a temporary
folder here), on the simulators and on files made to stand for the user's. A block's ``# ...``
lines under a command are what it prints, and are compared line for line; a ```text block after
a README quickstart's commands is what they print, compared where it does not vary from run to
run.

Blocks that need hardware (a real port, a USB spectrometer) or the repository's own tools are
not run here: ``tools/model_library.py --check`` and the benchmarks have tests of their own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from synthetic import make_spectrum
from test_io_contract import SAMPLES

from forensic.io import write_spectrum

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TECHNICIAN = ROOT / "docs" / "technician.md"
SPECTRUM_FILES = ROOT / "docs" / "spectrum-files.md"
LIBRARY = ROOT / "docs" / "library.md"


def _blocks(page: Path = README) -> list[str]:
    """The ```bash blocks of ``page``, as printed."""
    return re.findall(r"^```bash\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


def _block(holding: str, page: Path = README) -> list[tuple[str, list[str]]]:
    """The commands of the one bash block of ``page`` that holds ``holding``, each with the
    lines its ``# `` comments under it say it prints (continuation lines joined, as the shell
    joins them)."""
    (block,) = [b for b in _blocks(page) if holding in b]
    commands: list[tuple[str, list[str]]] = []
    for line in block.replace("\\\n", " ").splitlines():
        if line.startswith("# ") and commands:
            commands[-1][1].append(line[2:])
        elif line.strip() and not line.lstrip().startswith("#"):  # not a comment's 2nd line
            commands.append((line, []))
    return commands


def _command(commands: list[tuple[str, list[str]]], starting: str) -> tuple[str, list[str]]:
    (found,) = [c for c in commands if c[0].startswith(starting)]
    return found


@pytest.fixture
def user(tmp_path, monkeypatch) -> Path:
    """A new user's working folder, with ``~`` and the platform's folders in ``tmp_path``."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return work


def _sh(command: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``command`` as a user's shell runs it (``~``, globs and quotes as bash reads them)."""
    return subprocess.run(
        ["bash", "-c", command],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _printed(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.mark.slow
def test_set_up_runs_the_main_job_into_the_home_folder_and_the_report_verifies(user):
    (install_and_scan,) = [line for line in _blocks()[0].splitlines() if "forensic scan" in line]
    scan = install_and_scan[install_and_scan.index("forensic scan") :]
    done = _sh(scan, user)
    assert done.returncode == 0, _printed(done)
    assert "IDENTIFIED: Cocaine base" in done.stdout
    store = Path(os.environ["HOME"]) / "forensic-demo-store" / "forensic.db"
    assert f"NEW evidence store at {store}: this scan creates it" in done.stderr
    assert (user / "demo-report.pdf").is_file()
    # the investigator's first check, as the README gives it, on the report just written
    verified = _sh("forensic verify-report demo-report.pdf", user)
    assert verified.returncode == 0, _printed(verified)
    assert "demo-report.pdf: VERIFIED" in verified.stdout


def test_the_instrument_blocks_simulated_lines_run_as_printed(user):
    commands = _block("forensic instrument list", TECHNICIAN)
    listed = _sh(_command(commands, "forensic instrument list")[0], user)
    assert listed.returncode == 0, _printed(listed)
    assert "serial ports" in listed.stdout
    acquired = _sh(_command(commands, 'forensic acquire --instrument "sim:')[0], user)
    assert acquired.returncode == 0, _printed(acquired)
    assert acquired.stdout.startswith("wrote demo.jdx: ")
    assert (user / "demo.jdx").is_file()
    # `instrument simulate` serves until stopped, and first prints the port to give the driver
    simulate = _command(commands, "forensic instrument simulate")[0].split("#")[0]
    with subprocess.Popen(
        ["bash", "-c", f"exec {simulate}"], cwd=user, stdout=subprocess.PIPE, text=True
    ) as served:
        try:
            port = served.stdout.readline().strip()
        finally:
            served.send_signal(signal.SIGINT)
    assert re.fullmatch(r"/dev/pts/\d+", port), port


def _text_export(path: Path, spectrum, heading: str) -> None:
    """A two-column text export, as an instrument's software writes one."""
    rows = "\n".join(
        f"{x:.2f}\t{y:.6f}" for x, y in zip(spectrum.wavenumber, spectrum.intensity, strict=True)
    )
    path.write_text(f"{heading}\n{rows}\n", encoding="utf-8")


def test_the_spectrum_files_block_runs_as_printed(user):
    (user / "exhibit.spc").write_bytes(SAMPLES["spc"]())
    write_spectrum(make_spectrum([(1000, 1.0, 10)], seed=1), user / "a.jdx")
    write_spectrum(make_spectrum([(1200, 1.0, 10)], seed=2), user / "b.jdx")
    for name, seed in (("a.txt", 3), ("b.txt", 4)):
        spectrum = make_spectrum([(800, 1.0, 12)], noise=0.01, seed=seed)
        _text_export(user / name, spectrum, "Raman shift (cm-1)\tIntensity")
    x = np.arange(200.0, 3200.0, 2.0)  # a file of two spectra on one axis
    first, second = (make_spectrum([(centre, 1.0, 10)]) for centre in (900, 1500))
    columns = [np.interp(x, s.wavenumber, s.intensity) for s in (first, second)]
    rows = "\n".join(f"{w:.1f},{p:.6f},{q:.6f}" for w, p, q in zip(x, *columns, strict=True))
    (user / "mixes.csv").write_text(f"Raman shift,first,second\n{rows}\n", encoding="utf-8")
    for printed, _ in _block("forensic inspect exhibit.spc", SPECTRUM_FILES):
        command = printed.replace("[--normalise]", "--normalise")  # an option, taken
        done = _sh(command, user)
        assert done.returncode == 0, f"{command}\n{_printed(done)}"
    assert {"exhibit.jdx", "one.csv", "overlay.png"} <= {p.name for p in user.iterdir()}


@pytest.mark.slow
def test_the_lab_chemists_blocks_run_as_printed_and_print_what_they_show(user):
    """Import, remove, rename and publish, on a copy of the shipped library as ``DIR``, with
    files that stand for the chemist's: a measured paracetamol, a second toluene reference
    and a B&W Tek export named by its file."""
    exported = _sh("forensic library export --format jcamp --out DIR", user)
    assert exported.returncode == 0, _printed(exported)
    bands = [(390, 0.4, 10), (651, 0.5, 8), (797, 0.7, 8), (858, 0.6, 8), (1168, 0.5, 8)]
    bands += [(1236, 0.6, 9), (1324, 0.7, 9), (1561, 0.5, 9), (1611, 1.0, 9), (1648, 0.7, 9)]
    tablet = make_spectrum(bands, start=150, stop=3200, noise=0.002, seed=5)
    _text_export(user / "tablet.txt", tablet, "Raman shift (cm-1)\tIntensity")
    toluene = make_spectrum(
        [(729, 1.0, 8), (1030, 0.3, 8), (1495, 0.5, 8)], start=600, stop=3200, step=4.0,
        modality="ir", noise=0.002, seed=6,
    )  # fmt: skip
    _text_export(user / "toluene.txt", toluene, "Wavenumber (cm-1)\tAbsorbance")
    polystyrene = make_spectrum(
        [(620, 0.3, 6), (1001, 1.0, 5), (1031, 0.4, 6), (1583, 0.3, 8), (1602, 0.5, 8)],
        start=150, stop=3200, noise=0.002, seed=7,
    )  # fmt: skip
    _text_export(user / "BWTEK_PST10_iR532.txt", polystyrene, "Raman shift (cm-1)\tIntensity")
    given = "--source 'a lab FTIR' --licence 'CC BY 4.0' --added-by 'A. Chemist'"
    for setup in (
        f"forensic library import toluene.txt --library DIR --name Toluene --cas 108-88-3 "
        f"--class solvent --id toluene-ir-2 {given}",
        f"forensic library import BWTEK_PST10_iR532.txt --library DIR {given}",
    ):
        done = _sh(setup, user)
        assert done.returncode == 0, f"{setup}\n{_printed(done)}"

    for holding in ("forensic library import tablet.txt", "forensic library remove"):
        for command, shown in _block(holding, LIBRARY):
            done = _sh(command, user)
            assert done.returncode == 0, f"{command}\n{_printed(done)}"
            assert done.stdout.splitlines()[: len(shown)] == shown, command

    ((publish, _),) = _block("forensic library publish DIR", LIBRARY)
    done = _sh(publish, user)
    assert done.returncode == 0, _printed(done)
    assert "published version " in done.stdout
    info = _sh("forensic library info lab-2026-11-24.flib", user)
    assert info.returncode == 0, _printed(info)
    assert re.search(r"published +yes: this version, .*approved by Dr\. A\. Chemist", info.stdout)


def _shown(after: str) -> list[str]:
    """The lines of the README's ```text block next after the bash block holding ``after``:
    what its commands print, as pasted from a run (``...`` marks lines left out)."""
    text = README.read_text(encoding="utf-8")
    rest = text[text.index(after) :]
    between, rest = rest.split("```text\n", 1)
    assert "```bash" not in between, between  # no other commands come in between
    return rest[: rest.index("\n```\n")].splitlines()


def _steady(line: str) -> str:
    """``line`` without what differs from run to run: hashes, numbers (times, record numbers,
    scores, dates), paths of the user's folders, and column widths, which follow the names."""
    line = re.sub(r"(?:/[\w.-]+){2,}", "PATH", line)
    line = re.sub(r"\b(?=[0-9A-Fa-f]*\d)[0-9A-Fa-f]{8,}\b", "#", line)
    line = re.sub(r"(?<![A-Za-z])\d+(?:\.\d+)?", "#", line)
    return " ".join(line.split())


def _check_shown(shown: list[str], done: subprocess.CompletedProcess[str]) -> None:
    """Every line shown is printed, in the same order."""
    printed = [_steady(line) for line in (done.stderr + done.stdout).splitlines()]
    printed_out = [_steady(line) for line in done.stdout.splitlines()]
    printed_err = [_steady(line) for line in done.stderr.splitlines()]
    for line in (_steady(line) for line in shown if line.strip() != "..."):
        assert line in printed, f"{line!r} not printed:\n{_printed(done)}"
    for stream in (printed_out, printed_err):  # each stream in its order
        said = [line for line in (_steady(s) for s in shown) if line in stream]
        assert said == [line for line in stream if line in said], _printed(done)


@pytest.mark.slow
def test_the_technician_and_investigator_quickstarts_run_as_printed_and_print_what_they_show(
    user,
):
    ((scan, _),) = _block("--seal S-0093 --report A1.pdf")
    done = _sh(scan, user)
    assert done.returncode == 0, _printed(done)
    _check_shown(_shown("--seal S-0093 --report A1.pdf"), done)
    assert (user / "A1.pdf").is_file()
    checks = _block("forensic verify-report A1.pdf")
    assert [command.split("#")[0].split() for command, _ in checks] == [
        ["forensic", "verify-report", "A1.pdf"],
        ["forensic", "custody", "verify", "--report", "A1.pdf"],
    ]
    said = [_sh(command, user) for command, _ in checks]
    for check in said:
        assert check.returncode == 0, _printed(check)
    both = subprocess.CompletedProcess(
        "", 0, "".join(c.stdout for c in said), "".join(c.stderr for c in said)
    )
    _check_shown(_shown("forensic verify-report A1.pdf"), both)


@pytest.mark.slow
def test_the_lab_chemists_quickstart_runs_as_printed_and_prints_what_it_shows(user):
    bands = [(390, 0.4, 10), (651, 0.5, 8), (797, 0.7, 8), (858, 0.6, 8), (1168, 0.5, 8)]
    bands += [(1236, 0.6, 9), (1324, 0.7, 9), (1561, 0.5, 9), (1611, 1.0, 9), (1648, 0.7, 9)]
    tablet = make_spectrum(bands, start=150, stop=3200, noise=0.002, seed=5)
    _text_export(user / "tablet.txt", tablet, "Raman shift (cm-1)\tIntensity")
    commands = _block("forensic library export --format jcamp --out lab-library")
    said = [_sh(command, user) for command, _ in commands]
    for (command, _), done in zip(commands, said, strict=True):
        assert done.returncode == 0, f"{command}\n{_printed(done)}"
    every = subprocess.CompletedProcess(
        "", 0, "".join(d.stdout for d in said), "".join(d.stderr for d in said)
    )
    _check_shown(_shown("forensic library export --format jcamp --out lab-library"), every)
    info = _sh("forensic library info lab-2026-11-25.flib", user)
    assert re.search(r"published +yes: this version, .*approved by Dr\. A\. Chemist", info.stdout)
