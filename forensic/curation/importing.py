"""Importing reference spectra into a library folder (``forensic library import``).

Each readable spectrum becomes ``<modality>/<id>.jdx`` (JCAMP-DX) with a manifest row, marked
*measured*; a name that is a synonym of a library substance is filed under that substance, and
a measured import replaces the modelled reference of the same substance and modality.
Unreadable files are listed and skipped, and so is a file of several spectra that does not name
each (the subfiles of an SPC file: replicates or a series of one sample, not a substance each)
unless its substance is named at import; what is said of one spectrum of a file of several
names it ``FILE #N``, what holds for the whole file is said once, and so is what holds for
several files, naming them (a note, the first few). An import is refused
before anything is written when it would overwrite an entry that is not modelled (a measured
or a simulated one, said as which); when a file gives a CAS number other than the library's
for the same name, or a CAS number fails its check digit; when a name would join a salt it
does not state, is a synonym of several substances, prints like another substance's name, or
mixes scripts in a word; when a ``--manifest`` row's file cannot be found, or the manifest has
a column it has no place for; and when one name or CAS number is given for several files that
are not said to be replicates. A file the library wrote, imported again (to state its unit, or
to rename it), keeps its row's provenance and replaces that row. One measurement is one
reference: a spectrum the library already holds (by its instrument file's SHA-256, or by its
values: :func:`~forensic.curation.digest.same_measurement`) is refused under any id but its
own, and so is one given twice in one import.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forensic.arguments import argument, call
from forensic.commands import blank_refusal, command
from forensic.curation.digest import (
    DATA_DIGEST_KEY,
    data_digest,
    digest_problem,
    same_measurement,
)
from forensic.curation.manifest import (
    MANIFEST_COLUMNS,
    cas_is_valid,
    cas_key,
    cas_problem,
    id_problem,
    read_manifest,
    write_manifest,
)
from forensic.curation.source import _shipped_dir
from forensic.curation.validation import other_modality_import
from forensic.errors import ForensicError, LibraryError, SpectrumError, without_path
from forensic.files import atomic_write_bytes
from forensic.io import read_spectra, read_spectrum, write_spectrum
from forensic.library import STATED_KEY, substance_key
from forensic.library_folders import spectrum_files, unnamed_spectra
from forensic.manifest import (
    IMPORT_COLUMNS,
    ManifestRow,
    ManifestRows,
    inchikey_problem,
    is_manifest,
    refuse_unknown_columns,
)
from forensic.naming import (
    lookalike_note,
    lookalike_notes,
    mixed_words,
    printed_key,
    read_as_latin,
    unstated_salt,
)
from forensic.quality import (
    RAMAN_AXIS_IN_NM,
    comparison_problems,
    diagnose_axis_unit,
    diagnose_clipped,
    diagnose_flat,
    diagnose_unit_label,
    laser_line_action,
    laser_line_named,
)
from forensic.spectrum import (
    IR_UNITS,
    MEASURED,
    MODALITIES,
    PROVENANCES,
    STATED_Y_UNITS,
    ProcessingStep,
    Spectrum,
    is_measured,
    wavelength_to_raman_shift,
)


@dataclass
class ImportResult:
    """What :func:`import_spectra` did.

    Attributes
    ----------
    imported : list of dict
        The manifest rows added (one per spectrum written).
    replaced : list of dict
        Manifest rows removed: modelled references replaced by a measured one of the same
        substance and modality, or (with ``force``) entries of the same id that are not
        modelled (measured, or simulated) overwritten.
    skipped : list of (str, str)
        Files not imported and why: a file not read (or of several spectra it does not
        name), and then the spectra of the files read that were not, each reason once of
        the spectra it holds for (``FILE #1, #3``, ``FILE`` for all it holds; ``FILE #N``
        is a spectrum's place in its file, counted from 1).
    skipped_files : int
        How many files were not read (the first ``skipped_files`` of ``skipped``).
    skipped_spectra : int
        How many spectra of the files read were not imported (the rest of ``skipped``).
    notes : list of str
        Decisions worth telling the chemist (a name matched to a library synonym, ...), each
        said once: of a file (``FILE``) when it holds for every spectrum the file gives, else
        of the spectra it holds for (``FILE #N``, ``FILE #1, #3``); of several files, each so
        (``a.jdx, b.jdx #2``), and of more than 4 files, the first 3 and how many more
        (``a.jdx, b.jdx, c.jdx and 37 more files``).
    """

    imported: list[dict[str, str]] = field(default_factory=list)
    replaced: list[dict[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped_files: int = 0
    skipped_spectra: int = 0


_LISTED = 3
"""How many files a note said of many files names before ``and N more files``."""


@dataclass
class _Said:
    """What an import says of the spectra of its files, its notes or its refusals, each
    thing once, naming what it holds for: a file by itself when it holds for every spectrum
    the file gives, else with the places of those it holds for (``FILE #2``, ``FILE #1,
    #3``); several files, each so (``a.jdx, b.jdx #2: ...``), and when ``shortened`` (a
    note, not a refusal: that names every spectrum it refuses), the first few and how many
    more (``a.jdx, b.jdx, c.jdx and 37 more files: ...``).

    A thing is the same for several files when it is said in the same words: what differs
    from file to file (its title's name, its clipped band) is said of each alone, and so is
    what is said of one file's own spectra together (:meth:`of_file` ``alone``).
    """

    shortened: bool = False
    # (text, None; or the file it is said of alone) -> of which spectra of which files
    said: dict[tuple[str, _File | None], dict[_File, list[int]]] = field(default_factory=dict)

    def of_spectrum(self, place: _Place, text: str) -> None:
        """Say ``text`` of the spectrum at ``place``."""
        self.said.setdefault((text, None), {}).setdefault(place.file, []).append(place.k)

    def of_file(self, file: _File, text: str, *, alone: bool = False) -> None:
        """Say ``text`` of ``file`` as a whole; ``alone``: of it alone, even when another
        file is said the same of (``its 3 spectra are ...``: of each file, its own)."""
        self.said.setdefault((text, file if alone else None), {})[file] = list(range(file.count))

    def lines(self, label: Callable[[_File, str], str]) -> list[str]:
        """Each thing, in the order first said, after what it holds for: each file by
        ``label(file, places)``, ``places`` the spectra of it that it holds for (``" #1,
        #3"``, or ``""`` for all of them)."""
        return [f"{held}: {text}" for held, text in self.held(label)]

    def held(self, label: Callable[[_File, str], str]) -> list[tuple[str, str]]:
        """As :meth:`lines`, each thing as (what it holds for, the thing)."""
        out = []
        for (text, _), files in self.said.items():
            named = [label(file, file.places(ks)) for file, ks in files.items()]
            if self.shortened and len(named) > _LISTED + 1:
                named = [", ".join(named[:_LISTED]) + f" and {len(named) - _LISTED} more files"]
            out.append((", ".join(named), text))
        return out

    def reword(self, text: str, new: str) -> None:
        """Say ``new`` in place of ``text`` (said of no file alone), of what ``text`` was said
        of, in its place in the order."""
        self.said = {
            (new if key == (text, None) else key[0], key[1]): files
            for key, files in self.said.items()
        }

    def files(self, text: str) -> list[_File]:
        """The files ``text`` (said of no file alone) is said of, in the order first said."""
        return list(self.said.get((text, None), {}))

    def count(self) -> int:
        """How many spectra it says something of (each once, whatever is said of it)."""
        return len({(f, k) for files in self.said.values() for f, ks in files.items() for k in ks})


def _a_manifest(column: str | None = None) -> str:
    """A manifest to give an import, in a message: ``a manifest (manifest=
    'path/to/manifest.csv')``, or ``a cas column in a manifest (manifest=...)``; the command
    line says ``--manifest path/to/manifest.csv``, ``--manifest``
    (:func:`~forensic.arguments.with_command_line_options`)."""
    if column is None:
        return f"a manifest ({argument('manifest', 'path/to/manifest.csv')})"
    article = "an" if column[0] in "aeiou" else "a"
    return f"{article} {column} column in a manifest ({argument('manifest', ...)})"


def _import_names(path: Path) -> str:
    """How ``library import`` is told the substance of a file whose spectra are not named."""
    return (
        f"give the name of its substance ({argument('name', as_typed='NAME')}, or a manifest "
        "row for the file) to import them as references of that one substance, or import one "
        "of them alone ("
        f"{command('convert', path, 'ONE.jdx', spectrum='N')}, then import ONE.jdx)"
    )


def _slug(text: str) -> str:
    """The part of an id made from a name: ASCII letters and digits, each other run ``-``.

    An id is typed back from a printed report, and two ids that print alike would be two
    references that read as one, so an id holds ASCII only (``ID_RULE``): a letter with marks
    is read without them ("Metkatinon ž" and "Metkatinon š" give ``metkatinon-z`` and
    ``metkatinon-s``), a Greek or Cyrillic letter that prints like a Latin one as that one
    (:func:`~forensic.naming.read_as_latin`), and any other letter by the last word of its
    Unicode name (Δ ``delta``, Л ``el``), or its code point where that is no word (``u4e00``).
    """
    spelled = []
    for char in unicodedata.normalize("NFKD", read_as_latin(text)):
        if unicodedata.combining(char):
            continue
        if char.isascii():
            spelled.append(char.lower() if char.isalnum() else "-")
        elif char.isalnum():
            word = unicodedata.name(char, "").split()[-1:] or [""]
            spelled.append(word[0].lower() if word[0].isalpha() else f"u{ord(char):04x}")
        else:
            spelled.append("-")
    slug = re.sub(r"[^a-z0-9]+", "-", "".join(spelled)).strip("-")
    return slug or "reference"


def _default_id(name: str, modality: str, rows: Sequence[Mapping[str, str]]) -> str:
    """The id of a reference imported without one: that of the library's entry of the same
    substance and modality (the modelled one first), so that replacing it keeps the id results
    and reports cite, and a second import of it is refused as a conflict; else made from the
    name."""
    key = substance_key(name)
    same = [
        r for r in rows if r.get("modality") == modality and substance_key(r.get("name", "")) == key
    ]
    same.sort(key=lambda r: r.get("provenance") != "modelled")
    return same[0]["id"] if same else f"{_slug(name)}-{modality}"


def _collect_files(
    paths: Iterable[str | os.PathLike], manifest: Path | None = None
) -> tuple[list[Path], list[tuple[str, str]], list[Path]]:
    """The spectrum files given (folders read recursively; a file given twice, or also in a
    folder given, once), what was given that holds none, and the manifests found in the
    folders given: a CSV whose header names ``file`` and ``name`` is a manifest, not a
    spectrum (and ``manifest``, the one given, is not read as one either)."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    manifests: list[Path] = []
    given = manifest.resolve() if manifest is not None else None
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            for q in spectrum_files(p):
                if q.name == "manifest.csv" or q.resolve() == given:
                    continue
                if q.suffix.lower() == ".csv" and is_manifest(q):
                    manifests.append(q)
                    continue
                found.append(q)
            if not found:
                others = sum(1 for q in p.rglob("*") if q.is_file())
                skipped.append(
                    (
                        str(p),
                        "the folder holds no spectrum files"
                        + (
                            f" (only {others} other file(s): notes, code, figures, hidden "
                            "files or a manifest)"
                            if others
                            else ""
                        ),
                    )
                )
            files += found
        elif p.is_file():
            if p.resolve() != given:
                files.append(p)
        else:
            skipped.append((str(p), "no such file or folder"))
    once = {f.resolve(): f for f in reversed(files)}  # each file once, where first given
    return [f for f in files if once[f.resolve()] is f], skipped, manifests


def _tail(path: str | os.PathLike) -> tuple[str, ...]:
    """The parts of a path as written, ``.`` and ``..`` worked out (``a/./b`` is ``a/b``)."""
    return Path(os.path.normpath(path)).parts


def _row_files(
    file: str, beside: Path, paths: Sequence[Path], files: Sequence[Path]
) -> tuple[list[Path], list[Path]]:
    """The files a manifest row's ``file`` names, and, when none does by its path, the files
    that share its name.

    By its path: relative to the CSV's folder (``beside``), relative to a folder given, or a
    file given whose path ends with it. By its name alone, when no path names a file: the one
    file given (on the command line or under a folder given) of that name; several of that
    name are a choice the row does not make (returned second, for the message).
    """
    file = file.replace("\\", "/")  # a manifest written on Windows
    hits: dict[Path, Path] = {}
    for base in (beside, *(p for p in paths if p.is_dir())):
        candidate = base / file
        if candidate.is_file():
            hits.setdefault(candidate.resolve(), candidate)
    tail = _tail(file)
    for given in (p for p in paths if p.is_file()):
        if _tail(given)[-len(tail) :] == tail:
            hits.setdefault(given.resolve(), given)
    if hits:
        return list(hits.values()), []
    named: dict[Path, Path] = {}
    for found in files:
        if found.name == tail[-1]:
            named.setdefault(found.resolve(), found)
    if len(named) == 1:
        return list(named.values()), []
    return [], list(named.values())


def _manifest_jobs(
    manifest: Path,
    paths: Sequence[Path],
    files: Sequence[Path],
    result: ImportResult,
    *,
    ignore_columns: bool,
) -> list[tuple[Path, dict[str, str], str]]:
    """A job (the file, the row's filled values, where the row is) for each row of an
    import's ``--manifest``; the files given that no row names are skipped, said so.

    Refused, before anything is read or written (every row said at once): a column a manifest
    has no place for (unless ``ignore_columns``: then said in a note), a row's id that breaks
    ``ID_RULE``, a row whose file cannot be found or is found twice.
    """
    rows = read_manifest(manifest)
    left_out = refuse_unknown_columns(
        manifest, rows, command="import", ignore=ignore_columns, columns=IMPORT_COLUMNS
    )
    if left_out:
        result.notes.append(left_out)
    bad_ids, unfound, bad_stated = [], [], []
    jobs: list[tuple[Path, dict[str, str], str]] = []
    claimed: set[Path] = set()
    for row in rows:
        if row["id"] and (problem := id_problem(row["id"])):
            bad_ids.append(f"line {row.line}: {problem}")
        found, same_name = _row_files(row["file"], manifest.parent, paths, files)
        if len(found) > 1:
            unfound.append(
                f"line {row.line}: {row['file']!r} is {' and '.join(map(str, found))}, two "
                "files: which one?"
            )
        elif same_name:
            unfound.append(
                f"line {row.line}: {row['file']!r} is found only by its name, and "
                f"{len(same_name)} files have it ({', '.join(map(str, same_name))}): give its "
                "path relative to the folder given"
            )
        elif not found:
            unfound.append(f"line {row.line}: {row['file']!r} is not there")
        else:
            claimed.add(found[0].resolve())
            given = {k: v for k, v in row.items() if v and k in IMPORT_COLUMNS}
            if given.get("y_unit") and given["y_unit"] not in STATED_Y_UNITS:
                bad_stated.append(
                    f"line {row.line}: y_unit {given['y_unit']!r} is not one of "
                    f"{', '.join(STATED_Y_UNITS)}"
                )
            if given.get("laser_nm") and _laser_value(given["laser_nm"]) is None:
                bad_stated.append(
                    f"line {row.line}: laser_nm {given['laser_nm']!r} is not a laser "
                    "wavelength in nm (150-2000: 532, 785, 1064, ...)"
                )
            jobs.append((found[0], given, f"{manifest.name} line {row.line}"))
    if bad_ids:
        raise LibraryError(
            f"not imported: {manifest}: {'; '.join(bad_ids)}; correct its id column (or leave "
            "it empty for an id made from the name); nothing was written"
        )
    if bad_stated:
        raise LibraryError(
            f"not imported: {manifest}: {'; '.join(bad_stated)}; correct the cell (or leave it "
            "empty where the file says it); nothing was written"
        )
    if unfound:
        where = f"beside the CSV (in {manifest.parent})"
        if paths:
            where += ", in a folder given, or among the files given"
        raise LibraryError(
            f"not imported: {manifest}: {'; '.join(unfound)}; a row's file is looked for "
            f"{where}: correct the file column (a path relative to the CSV, or to a folder "
            "given), or give the folder that holds the files; nothing was written"
        )
    for file in files:
        if file.resolve() not in claimed:
            result.skipped.append(
                (
                    str(file),
                    f"no row of {manifest.name} names it: with a manifest, its rows say what "
                    "is imported (add a row for the file, or import it on its own)",
                )
            )
    return jobs


def _laser_value(text: str | float | None) -> float | None:
    """A laser wavelength stated in nm (a manifest's ``laser_nm`` cell, ``--laser-nm``), or
    None when it is no number in 150-2000 nm."""
    try:
        value = float(str(text).strip().removesuffix("nm").strip())
    except ValueError:
        return None
    return value if 150.0 <= value <= 2000.0 else None


def _default_source(spectrum: Spectrum, path: Path) -> str:
    meta = spectrum.metadata
    parts = [f"measured spectrum imported from {path.name}"]
    instrument = " ".join(
        str(meta[k]) for k in ("instrument_model", "instrument_serial") if meta.get(k)
    )
    if instrument:
        parts.append(f"instrument {instrument}")
    if meta.get("laser_wavelength_nm"):
        parts.append(f"laser {meta['laser_wavelength_nm']} nm")
    if meta.get("acquired_at"):
        parts.append(f"acquired {meta['acquired_at']}")
    if meta.get("operator"):
        parts.append(f"operator {meta['operator']}")
    return "; ".join(parts)


def _names_of(row: Mapping[str, str]) -> list[str]:
    """A row's name and synonyms (``;``-separated), stripped, the empty ones left out."""
    names = [row.get("name", ""), *row.get("synonyms", "").split(";")]
    return [n.strip() for n in names if n.strip()]


def _imported_from(
    path: Path, entry_id: str | None, rows: Sequence[Mapping[str, str]], folder: Path
) -> Mapping[str, str] | None:
    """The library's measured row ``entry_id`` when its reference was imported from ``path``
    (its ``imported_file``): the instrument's file imported again under the reference's id,
    as ``forensic library validate`` prints to put back a reference edited by hand, is the
    same reference, and keeps its row's provenance as its own file imported again does."""
    for row in rows:
        if entry_id and row.get("id") == entry_id and is_measured(row.get("provenance")):
            try:
                reference = read_spectrum(folder / row["file"])
            except (ForensicError, OSError):
                return None
            origin = str(reference.metadata.get("imported_file") or "")
            return row if origin and Path(origin) == path.resolve() else None
    return None


def _measured_references(
    rows: Sequence[Mapping[str, str]], folder: Path
) -> list[tuple[Mapping[str, str], Spectrum]]:
    """Each measured reference of the library that can be read, with its row (one that cannot
    be read is left out: validate says what is wrong with it)."""
    out = []
    for row in rows:
        if not row.get("file") or not is_measured(row.get("provenance")):
            continue
        try:
            out.append((row, read_spectrum(folder / row["file"])))
        except (ForensicError, OSError):
            continue
    return out


def _imported_sources(
    references: Sequence[tuple[Mapping[str, str], Spectrum]],
) -> dict[str, Mapping[str, str]]:
    """The SHA-256 of the file each measured reference of the library was imported from
    (its ``imported_sha256``) -> its row (the first, of a file of several spectra): an
    instrument's file imported a second time, under any name, is found by its bytes."""
    out: dict[str, Mapping[str, str]] = {}
    for row, reference in references:
        digest = str(reference.metadata.get("imported_sha256") or "")
        if digest:
            out.setdefault(digest, row)
    return out


def _sha256_of(spectra: Sequence[Spectrum]) -> str:
    """The SHA-256 of the file the spectra were read from (``source_sha256``), or ``""``."""
    return str(spectra[0].metadata.get("source_sha256") or "") if spectra else ""


def _canonical(
    name: str, rows: Sequence[Mapping[str, str]]
) -> tuple[Mapping[str, str] | None, list[str]]:
    """The library row whose name, else whose synonym, is ``name`` (by :func:`substance_key`).

    Returns the row (None when there is none, or when the synonym belongs to several
    substances) and the names of every substance that matched.
    """
    key = substance_key(name)
    for row in rows:
        if substance_key(row["name"]) == key:
            return row, [row["name"]]
    matches: dict[str, Mapping[str, str]] = {}
    for row in rows:
        if any(substance_key(s) == key for s in row.get("synonyms", "").split(";") if s.strip()):
            matches.setdefault(row["name"], row)
    if len(matches) == 1:
        return next(iter(matches.values())), list(matches)
    return None, sorted(matches)


_NAME_PLACES = {
    "jcamp": "title",
    "spa": "title",
    "wdf": "title",
    "opus": "sample name",
    "text": "column heading",
}
"""Where each format's reader finds the name of a spectrum (``source_format`` -> the words a
note uses); "header" for another."""


def _cas_numbers_in(text: str) -> list[str]:
    """The CAS Registry Numbers written in ``text`` (a title, a file name), each once: digits,
    2 digits and one digit joined by hyphens (not part of a longer run of them), whose check
    digit passes (:func:`~forensic.curation.manifest.cas_is_valid`); a date or a run number
    that only has the form is not one."""
    found = re.findall(r"(?<![\d-])\d{2,7}-\d{2}-\d(?![\d-])", text)
    return [number for number in dict.fromkeys(found) if cas_is_valid(number)]


def _new_name_note(label: str, place: str, rows: Sequence[Mapping[str, str]], cas: str) -> str:
    """What an import says of a name nobody stated (taken from a file's ``place``: its title,
    its file name, ...) that no library substance has: a new substance is being made of it,
    which a title such as "Single scan measurement 1" never meant. A CAS number in the name
    is offered, never set: as the CAS of a library substance (give its name), else as the
    number to state, unless ``cas`` (the row's, from the file or stated) is that number
    already. (A manifest row always names its file's substance: no note for one.)"""
    said = f"named {label!r} from its {place}: no substance of the library has that name"
    for number in _cas_numbers_in(label):
        owners = sorted(
            {r["name"] for r in rows if r.get("cas") and cas_key(r["cas"]) == cas_key(number)}
        )
        if len(owners) == 1:
            return (
                f"{said}; the {place} holds CAS {number}: it is {owners[0]}'s CAS: give "
                f"{argument('name', owners[0])}"
            )
        if owners:
            return (
                f"{said}; the {place} holds CAS {number}, the CAS of the library's "
                f"{' and '.join(owners)}: give {argument('name', ...)} with the one it is"
            )
        if not cas or cas_key(cas) != cas_key(number):
            said += f"; the {place} holds CAS {number}: give {argument('cas', number)}"
    return f"{said}; give {argument('name', ...)} (or a manifest row) if it is not a new substance"


def _salt_refusal(
    label: str, canonical: Mapping[str, str], *, in_column: bool = False
) -> str | None:
    """Why ``label`` may not join ``canonical``, the library's substance it is a synonym of:
    the substance is a salt the name does not state (:func:`~forensic.naming.unstated_salt`),
    and a spectrum named by the bare name is not known to be the salt's. The chemist gives
    the name as the argument ``name`` (``--name``), or ``in_column``, a manifest's ``name``
    column."""
    salt = unstated_salt(label, canonical.get("salt_form", ""))
    if salt is None:
        return None
    named = re.compile(rf"\b{re.escape(salt)}\b", re.IGNORECASE)
    base = (
        named.sub("base", canonical["name"]) if named.search(canonical["name"]) else f"{label} base"
    )

    def naming(name: str) -> str:
        return f"name column {name!r}" if in_column else argument("name", name)

    return (
        f"name {label!r} is a synonym of the library's {canonical['name']!r} "
        f"(salt form {canonical.get('salt_form')}), but does not state the {salt}: a base and "
        f"its salts are substances of their own, with spectra of their own; if the sample is "
        f"the {salt}, name it so ({naming(canonical['name'])}), and if it is the base or "
        f"another salt, name that ({naming(base)})"
    )


def _name_refusals(
    names: Iterable[str], known: Mapping[str, list[str]], *, mixed_scripts: bool
) -> list[str]:
    """Why each of ``names`` (a name and the synonyms an import adds) may not be recorded: it
    prints exactly like the names or synonyms ``known`` by its printed key
    (:func:`~forensic.naming.printed_key`: the library's, and those of this import so far)
    but is spelt as none of them, or a word of it mixes scripts
    (:func:`~forensic.naming.mixed_words`) and ``mixed_scripts`` does not confirm it."""
    refusals = []
    for name in names:
        alike = known.get(printed_key(name), [])
        spelt = {substance_key(n) for n in alike}
        twin = alike[0] if alike and substance_key(name) not in spelt else None
        if twin is not None:
            said = lookalike_notes((name, "the name given"), (twin, "the name"), kind="name")
            refusals.append(
                f"name {name!r} prints exactly like {twin!r}, spelt in other letters "
                f"({said}): no reader could tell the two apart; type it in Latin letters to "
                "name that substance, or give a name that reads otherwise"
            )
        elif mixed_words(name) and not mixed_scripts:
            refusals.append(
                f"{lookalike_note(name, 'name', kind='name')}; type it again in one "
                "script, or, if the substance is written so, confirm it "
                f"({argument('mixed_scripts')})"
            )
    return refusals


def import_spectra(
    paths: Sequence[str | os.PathLike] = (),
    library_dir: str | os.PathLike | None = None,
    *,
    name: str | None = None,
    cas: str | None = None,
    substance_class: str | None = None,
    synonyms: str | None = None,
    salt_form: str | None = None,
    legal_control: str | None = None,
    modality: str | None = None,
    y_unit: str | None = None,
    laser_nm: float | None = None,
    override_file: bool = False,
    manifest: str | os.PathLike | None = None,
    added_by: str | None = None,
    source: str | None = None,
    licence: str | None = None,
    entry_id: str | None = None,
    force: bool = False,
    today: str | None = None,
    replicates: bool = False,
    ignore_columns: bool = False,
    mixed_scripts: bool = False,
) -> ImportResult:
    """Import measured spectra into a library folder as references.

    Each spectrum is written as JCAMP-DX to ``<library>/<modality>/<id>.jdx`` with
    ``provenance = measured`` and a manifest row is added. Metadata come from the file where it
    has them (name, CAS, modality, instrument), then from the ``manifest`` CSV row of that
    file, then from the keyword arguments (which override both). A name that is a synonym of a
    library substance takes that substance's name (so it replaces and groups with it), and
    fields left empty are taken from the library's entry of that substance; a synonym of a
    salt that does not state the salt ("Methamphetamine" for "Methamphetamine
    hydrochloride"), and a synonym of several substances, are refused: the chemist names the
    substance. A CAS number in the file that is not the library's for that substance is
    refused unless a CAS number is stated (``cas``, or a ``cas`` column in ``manifest``): the
    name or the number is wrong, and only the chemist knows which; a CAS number that fails
    its check digit is refused wherever it comes from.

    A measured import replaces the *modelled* reference of the same substance and modality:
    the modelled row and file are removed (as ``tools/model_library.py`` expects: it never
    regenerates a modelled file that a measured row replaces).

    A reference file of the library itself, imported again (to state its unit, as ``forensic
    library validate`` prints, or under another name or id), replaces its own row: the row's
    source, licence, ``added_by``, ``added_at`` and waivers are kept unless given, and so are
    its CAS number, class, synonyms, salt form and legal control while its name stays; under a
    new id, the old row and file are removed, so that one spectrum is one reference. So does
    the file a measured reference was imported from, imported again under its id (as
    ``validate`` prints to put back a reference edited by hand).

    The library's manifest is written back sorted, with its comment lines: a replaced row's
    comments and lab columns go to the row that replaces it. The file each reference was read
    from is recorded as ``imported_file`` (and its SHA-256 and format), unless it is itself a
    reference an import wrote (imported again, as ``forensic library validate`` prints to state
    its unit): the file it was first imported from stays its origin. Each file written states
    the digest of its values (:func:`~forensic.curation.digest.data_digest`), and a file whose
    values no longer give the digest it states (a reference edited by hand) is skipped.

    Parameters
    ----------
    paths : sequence of path-like
        Spectrum files or folders (read recursively). A CSV in a folder that is a manifest
        (``file`` and ``name`` columns) is not read as a spectrum (a note says so).
    library_dir : path-like, optional
        The library folder; default the shipped one (``spectral_library.LIBRARY_DIR``).
    name, cas : str, optional
        The name and CAS number of every imported spectrum (over the file's and the
        manifest's); for the spectra of one file only, unless ``replicates``.
    substance_class : str, optional
        The class of every imported spectrum.
    synonyms, salt_form, legal_control : str, optional
        The synonyms (``;``-separated), salt form and legal control of every imported
        spectrum, over the file's, the manifest's and the library substance's (the synonyms
        are checked as a name is: one that prints like another substance's is refused).
    modality : {"raman", "ir"}, optional
        Override the modality the reader decided (e.g. for a plain two-column text file).
    y_unit : {"absorbance", "transmittance", "percent_transmittance"}, optional
        The intensity unit of IR files that do not name it, instead of the reader's guess
        (:meth:`forensic.spectrum.Spectrum.with_y_unit`). A unit still guessed is listed in
        the result's notes. One the file names otherwise is refused unless ``override_file``.
        A manifest's ``y_unit`` column states it per file.
    laser_nm : float, optional
        The laser wavelength (nm, 150-2000) of a Raman text or JCAMP-DX file whose axis is a
        wavelength (:func:`forensic.io.read_spectra`): the axis becomes Raman shift. One the
        file names otherwise is refused unless ``override_file``. A manifest's ``laser_nm``
        column states it per file.
    override_file : bool, default False
        The file's header is wrong: ``y_unit`` replaces the unit it names, ``laser_nm`` the
        laser wavelength it names. Every statement over or beyond the file (this, a laser
        line the file lacks) is recorded in the reference file as
        :data:`forensic.library.STATED_KEY` (what, over what, who, when).
    manifest : path-like, optional
        CSV with :data:`MANIFEST_COLUMNS` (``file`` and ``name`` required; cells separated by
        commas, or by semicolons) describing the files to import, one row each. A row's
        ``file`` is a path relative to the CSV's folder, or to a folder in ``paths``, or the
        end of the path of a file in ``paths``; else the name of the one file of that name
        in ``paths``. With a manifest, the files of ``paths`` that no row names are skipped.
    added_by : str, optional
        Who adds the references (default: the manifest's, the replaced row's when a
        library's own file is imported again, else the login name).
    source, licence : str, optional
        Provenance text and licence for every imported spectrum.
    entry_id : str, optional
        Id of the new entry (one spectrum only), as
        :data:`~forensic.curation.manifest.ID_RULE` says. Default: the id of the library's
        entry of the same substance and modality (the modelled one first), so that replacing
        it keeps the id results cite; else ``<name>-<modality>`` in lower-case ASCII, each run
        of other characters made one ``-`` (a letter of another script spelt by its Latin
        look-alike or its Unicode name; a note says so). Further spectra given the same id in
        one import get ``-2``, ``-3``...
    force : bool, default False
        Replace an entry with the same id that is not modelled (a measured or a simulated
        one; otherwise refused, saying which it is).
    today : str, optional
        ISO date for ``added_at`` (default: today, UTC).
    replicates : bool, default False
        The files given are replicate spectra of one substance: ``name`` and ``cas`` name
        them all (otherwise refused for several files: one name copied onto every file of a
        folder would make each a reference of that substance).
    ignore_columns : bool, default False
        Import a ``manifest`` with columns it has no place for, leaving them out (a note
        names them); otherwise refused, naming each and the column nearest in spelling.
    mixed_scripts : bool, default False
        Record a name or synonym whose word mixes scripts (a Cyrillic or Greek letter that
        prints like a Latin one among Latin letters) as given; otherwise refused. A name that
        prints exactly like another substance's is refused even so.

    Returns
    -------
    ImportResult
        The rows added and removed, the files skipped with why, and notes for the chemist.

    Raises
    ------
    LibraryError
        When the library folder does not exist or cannot be written; an id (``entry_id``, a
        ``manifest`` row's, or one of the library's that the import would take) breaks
        :data:`~forensic.curation.manifest.ID_RULE`; ``entry_id`` is given for several
        spectra, or ``name`` or ``cas`` for several files without ``replicates``; the
        ``manifest`` has a column it has no place for (without ``ignore_columns``), or a row
        whose file is not found or is found twice; nothing could be imported; an import
        would overwrite an entry that is not modelled (or a file the manifest does not list)
        without ``force``, or take the id of another modality's or another substance's reference
        (even with ``force``); a file's CAS number contradicts the library's for its name
        and none is stated, or a CAS number fails its check digit; a name would join a salt
        it does not state, is a synonym of several substances, prints like another's, or
        mixes scripts without ``mixed_scripts``; ``y_unit`` or ``laser_nm`` (or a manifest's
        ``y_unit`` or ``laser_nm``) contradicts what the file names without ``override_file``,
        or is no unit or laser line; a spectrum is a measurement the library already holds
        (imported from the same file, or of the same values) under another id than its
        reference's, or under its id without ``force``, or is the same measurement as another
        spectrum of the import. Nothing is written then, and every file or row refused
        for one reason is named at once: each reason once, with the spectra it refuses
        (``multi.jdx #1, #3, one.jdx: ...``), an entry in the way with those that would
        replace it.
    """
    said = _Statements(
        name=name,
        cas=cas,
        substance_class=substance_class,
        synonyms=synonyms,
        salt_form=salt_form,
        legal_control=legal_control,
        modality=modality,
        y_unit=y_unit,
        laser_nm=laser_nm,
        override_file=override_file,
        added_by=added_by,
        source=source,
        licence=licence,
        entry_id=entry_id,
        mixed_scripts=mixed_scripts,
        date=today or _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
    )
    _refuse_bad_statements(said)
    folder = _writable_folder(library_dir)
    manifest_path = folder / "manifest.csv"
    rows = read_manifest(manifest_path, required=()) if manifest_path.is_file() else ManifestRows()
    result = ImportResult()
    jobs = _import_jobs(paths, manifest, result, ignore_columns=ignore_columns)
    _refuse_one_name_for_many(jobs, said, replicates=replicates)
    under_way = _Import(said, _LibraryAsFound(folder, rows), result)
    for job in jobs:
        _plan_file(under_way, job)
    result.skipped_files = len(result.skipped)  # each said of a file not read, or not named
    result.skipped += under_way.skipped.held(_File.skipped_as)
    result.skipped_spectra = under_way.skipped.count()
    _name_files_of_units_unstated(under_way, jobs)
    result.notes += under_way.notes.lines(_File.named)
    _refuse_what_cannot_be_recorded(under_way)
    in_the_way = _give_ids(under_way, force=force)
    _refuse_measurements_held(under_way, force=force)
    if in_the_way is not None:
        raise LibraryError(in_the_way)
    result.notes += _modalities_noted(under_way)
    writes, kept = _replacements(under_way, force=force)
    _write_all(writes, manifest_path, rows.with_rows(kept))
    _remove_replaced_files(result.replaced, kept, folder)
    return result


# -- the steps of an import, in the order import_spectra takes them -----------------------------


@dataclass(frozen=True)
class _Statements:
    """What the chemist states for every spectrum of one import (the keyword arguments of
    :func:`import_spectra`), and the date it records."""

    name: str | None
    cas: str | None
    substance_class: str | None
    synonyms: str | None
    salt_form: str | None
    legal_control: str | None
    modality: str | None
    y_unit: str | None
    laser_nm: float | None
    override_file: bool
    added_by: str | None
    source: str | None
    licence: str | None
    entry_id: str | None
    mixed_scripts: bool
    date: str


@dataclass(frozen=True)
class _Job:
    """One file to import: the file, the values its ``--manifest`` row fills in, and where
    that row is (``"list.csv line 3"``; ``""`` without a manifest)."""

    path: Path
    given: Mapping[str, str]
    line: str

    def unit(self, said: _Statements) -> tuple[str | None, str]:
        """The intensity unit stated for the file (None when none is), and where it is
        stated, as a message names it (the row of a column: where the message names the
        file, :meth:`_File.said_where`)."""
        stated = said.y_unit or self.given.get("y_unit") or None
        return stated, argument("y_unit", ...) if said.y_unit else "the y_unit column"

    def laser(self, said: _Statements) -> tuple[float | None, str]:
        """The laser wavelength (nm) stated for the file (None when none is), and where it
        is stated, as a message names it (as :meth:`unit`)."""
        if said.laser_nm is not None:
            return said.laser_nm, argument("laser_nm", ...)
        return _laser_value(self.given.get("laser_nm")), "the laser_nm column"


@dataclass(frozen=True, eq=False)  # one file of an import is itself, whatever it holds
class _File:
    """One file of an import, read: its job, how many spectra it holds, and its library row
    when it is a library's own file imported again; and how what is said of it names it."""

    job: _Job
    count: int
    own: Mapping[str, str] | None

    def places(self, spectra: Iterable[int]) -> str:
        """The places of ``spectra`` (indices from 0) in the file, as said after its name:
        ``" #1, #3"``, or ``""`` when they are all it holds (a file of one spectrum, too)."""
        held = sorted(set(spectra))
        return "" if len(held) == self.count else " " + ", ".join(f"#{k + 1}" for k in held)

    def named(self, places: str = "") -> str:
        """In a note: the file's name, and the ``places`` of the spectra it is about."""
        return f"{self.job.path.name}{places}"

    def said_where(self, places: str = "") -> str:
        """In a refusal: :meth:`named`, and the manifest row that names the file (the
        spectra of one file are refused by one row)."""
        line = self.job.line
        return f"{self.named(places)} ({line})" if line else self.named(places)

    def skipped_as(self, places: str = "") -> str:
        """In the list of what was skipped: the file's path, and the ``places``."""
        return f"{self.job.path}{places}"


@dataclass(frozen=True)
class _Place:
    """One spectrum of a file, as what is said of it names it: ``FILE`` for a file of one
    spectrum, ``FILE #N`` (its place in the file, from 1) for one of several."""

    file: _File
    k: int  # its index in the file, from 0

    @property
    def job(self) -> _Job:
        """The job of the spectrum's file."""
        return self.file.job

    def numbered(self, text: str) -> str:
        """``text`` (the file's name, path or stem), with the spectrum's place, ``#N``, after
        it in a file of several spectra."""
        return f"{text}{self.file.places([self.k])}"

    @property
    def where(self) -> str:
        """In a note or refusal: the file's name, and the spectrum's place."""
        return self.file.named(self.file.places([self.k]))


class _LibraryAsFound:
    """The library folder an import writes into, as it was before the import: its rows, the
    file each lists, every name and synonym by how it prints (grown by the names the import
    records), and its measured references and the files they were imported from (read once,
    when needed)."""

    def __init__(self, folder: Path, rows: ManifestRows) -> None:
        self.folder = folder
        self.rows = rows
        self.listed = {(folder / r["file"]).resolve(): r for r in rows if r.get("file")}
        # every name and synonym by how it prints, to find one that prints like another
        self.known: dict[str, list[str]] = {}
        for r in rows:
            for n in _names_of(r):
                self.known.setdefault(printed_key(n), []).append(n)
        self._references: list[tuple[Mapping[str, str], Spectrum]] | None = None
        self._sources: dict[str, Mapping[str, str]] | None = None

    def references(self) -> list[tuple[Mapping[str, str], Spectrum]]:
        """:func:`_measured_references` of the library, read the first time it is asked for."""
        if self._references is None:
            self._references = _measured_references(self.rows, self.folder)
        return self._references

    def imported_sources(self) -> dict[str, Mapping[str, str]]:
        """:func:`_imported_sources` of the library."""
        if self._sources is None:
            self._sources = _imported_sources(self.references())
        return self._sources


@dataclass
class _Planned:
    """A reference an import is to write: its spectrum and manifest row, where in which file
    it was read, and whether its id was stated (``--id``, a manifest's id column)."""

    spectrum: Spectrum
    row: dict[str, str]
    place: _Place
    stated_id: bool

    @property
    def origin(self) -> Path:
        """The file it was read from."""
        return self.place.job.path

    @property
    def whence(self) -> str:
        """How a note names it (:attr:`_Place.where`)."""
        return self.place.where

    @property
    def own(self) -> Mapping[str, str] | None:
        """The library row of its file when that is a library's own file imported again."""
        return self.place.file.own


@dataclass
class _Import:
    """One import under way: what the chemist stated, the library as it was found, the
    result so far, the references it is to write, what it says of its files' spectra, and
    what it found that refuses it: a file that is another reference's, names and CAS
    numbers that cannot be recorded, CAS numbers in files that contradict the library's
    (each said once, of every spectrum it holds for: :class:`_Said`)."""

    said: _Statements
    library: _LibraryAsFound
    result: ImportResult
    planned: list[_Planned] = field(default_factory=list)
    notes: _Said = field(default_factory=lambda: _Said(shortened=True))
    refusals: list[str] = field(default_factory=list)  # of a whole file, naming it
    refused: _Said = field(default_factory=_Said)  # of spectra, with the manifest row
    cas_conflicts: _Said = field(default_factory=_Said)  # of spectra, by their path
    skipped: _Said = field(default_factory=_Said)  # spectra read, not imported, by their path
    told: set[Path] = field(default_factory=set)  # files whose spectra are one substance's
    # each note of an IR unit not named (_unit_unstated), not of a manifest's row: a spectrum
    # it is said of (its files are named once every file is planned)
    units_unstated: dict[str, Spectrum] = field(default_factory=dict)


_STATED_TEXT = (
    ("name", "the substance's name"),
    ("cas", "the substance's CAS number"),
    ("substance_class", "the substance's class"),
    ("synonyms", "the substance's other names (separated by ';')"),
    ("salt_form", "the substance's salt form"),
    ("legal_control", "the substance's legal control"),
    ("added_by", "who adds the spectra"),
    ("source", "where the spectra come from (instrument, sample, lab)"),
    ("licence", "the licence of the spectra"),
    ("entry_id", "the id of the new entry"),
)
"""The text an import records as stated, by its argument (the :class:`_Statements` field),
and what to give it."""


def _refuse_bad_statements(said: _Statements) -> None:
    """Refuse, before anything is read, text stated for the whole import that is blank
    (every such option at once: it would record a blank name, source or licence, or a
    blank over the library's synonyms), and an id, a CAS number or a laser wavelength that
    is no such thing."""
    blank = []
    for key, what in _STATED_TEXT:
        value = getattr(said, key)
        if key == "synonyms" and value is not None:
            value = value.replace(";", " ")  # ";" alone names no other name either
        if refusal := blank_refusal(argument(key, ...), value, what):
            blank.append(refusal)
    if blank:
        raise LibraryError(f"not imported: {'; '.join(blank)}; nothing was written")
    if said.entry_id is not None and (problem := id_problem(said.entry_id)):
        why = problem.removeprefix(f"id {said.entry_id!r} ")
        raise LibraryError(
            f"not imported: {argument('entry_id', said.entry_id)} {why}; nothing was written"
        )
    if said.cas is not None and (problem := cas_problem(said.cas)):
        raise LibraryError(
            f"not imported: {argument('cas', ...)}: {problem}; state it correctly, or leave it "
            "out while the substance has none (give its InChIKey in a manifest's inchikey "
            "column); nothing was written"
        )
    if said.laser_nm is not None and _laser_value(said.laser_nm) is None:
        raise LibraryError(
            f"not imported: {argument('laser_nm', said.laser_nm)}: not a Raman laser "
            "wavelength in nm "
            "(150-2000: 532, 785, 1064, ...); nothing was written"
        )


def _writable_folder(library_dir: str | os.PathLike | None) -> Path:
    """The library folder to import into (the shipped one by default), refused when it is
    not there or cannot be written."""
    folder = Path(library_dir).resolve() if library_dir is not None else _shipped_dir()
    if not folder.is_dir():
        raise LibraryError(f"{folder}: no such library folder")
    if not os.access(folder, os.W_OK):
        raise LibraryError(
            f"{folder}: not writable; copy the library first "
            f"({command('library', 'export', folder, format='jcamp', out='DIR')}) and import "
            f"with {argument('library_dir', as_typed='DIR')}"
        )
    return folder


def _import_jobs(
    paths: Sequence[str | os.PathLike],
    manifest: str | os.PathLike | None,
    result: ImportResult,
    *,
    ignore_columns: bool,
) -> list[_Job]:
    """The files to import, each with its manifest row's values: the files given (folders
    read recursively), or those ``manifest`` names. What was given that holds nothing is
    skipped, and a manifest found among the files is said not to be read as a spectrum;
    refused when nothing is left to import."""
    given_paths = [Path(p) for p in paths]
    mpath = Path(manifest) if manifest is not None else None
    files, result.skipped, manifests = _collect_files(given_paths, mpath)
    for found in manifests:
        result.notes.append(
            f"{found}: a manifest (file and name columns), not a spectrum: not read as one"
            + (
                ""
                if mpath
                else f" (give it with {argument('manifest', ...)} to import the files it names)"
            )
        )
    if mpath is not None:
        jobs = [
            _Job(*job)
            for job in _manifest_jobs(
                mpath, given_paths, files, result, ignore_columns=ignore_columns
            )
        ]
    else:
        jobs = [_Job(f, {}, "") for f in files]
    if not jobs:
        if result.skipped:  # what was given holds nothing to import: say why, for each
            raise LibraryError(
                "nothing to import: "
                + "; ".join(f"{where}: {why}" for where, why in result.skipped)
            )
        raise LibraryError(f"nothing to import: give spectrum files, folders or {_a_manifest()}")
    return jobs


def _refuse_one_name_for_many(jobs: Sequence[_Job], said: _Statements, *, replicates: bool) -> None:
    """Refuse ``--name`` or ``--cas`` for several files not said to be replicates: one name
    copied onto every file of a folder would make each a reference of that substance."""
    sources = list(dict.fromkeys(job.path.resolve() for job in jobs))
    stated = [argument(o, v) for o, v in (("name", said.name), ("cas", said.cas)) if v is not None]
    if stated and len(sources) > 1 and not replicates:
        shown = ", ".join(job.path.name for job in jobs[:3]) + (", ..." if len(jobs) > 3 else "")
        raise LibraryError(
            f"not imported: {' and '.join(stated)} would name every one of the {len(sources)} "
            f"files given ({shown}) as one substance: name each file in {_a_manifest()}, or, "
            "if they are replicate spectra of one "
            f"substance, say so ({argument('replicates')}); nothing was written"
        )


def _plan_file(under_way: _Import, job: _Job) -> None:
    """Plan the references of one file: read it, find whether it is a library's own file
    imported again, refuse it when it is another reference's instrument file, skip it when
    it holds several spectra it does not name, then plan each of its spectra. What is said of
    the file and its spectra is said once each, when every file is planned (:class:`_Said`)."""
    said, library, result = under_way.said, under_way.library, under_way.result
    spectra = _read_file(job, said, result)
    if spectra is None:
        return
    own = _own_row(job, said, library)
    refusal = None if own is not None else _held_elsewhere(job, spectra, said, library)
    if refusal is not None:
        under_way.refusals.append(refusal)
        return
    path = job.path
    named = said.name or job.given.get("name")
    unnamed = None if named else unnamed_spectra(spectra, _import_names(path))
    if unnamed:
        result.skipped.append((str(path), unnamed))
        return
    names = {named} if named else {str(s.metadata.get("name")).strip() for s in spectra}
    in_file = _File(job, len(spectra), own)
    if len(spectra) > 1 and len(names) == 1:  # replicates, or a series, of one sample
        under_way.notes.of_file(
            in_file,
            f"its {len(spectra)} spectra are imported as {len(spectra)} references of "
            f"{names.pop()}, the name "
            + ("given for the file" if named else "the file gives all of them"),
            alone=True,
        )
        under_way.told.add(path)
    for k, read in enumerate(spectra):
        _plan_spectrum(under_way, _Place(in_file, k), read)


def _read_file(job: _Job, said: _Statements, result: ImportResult) -> list[Spectrum] | None:
    """The spectra of the job's file (a wavelength axis made Raman shift by the laser line
    stated for it), or None when it cannot be read: skipped, saying why."""
    try:
        return read_spectra(job.path, laser_nm=job.laser(said)[0])
    except ForensicError as exc:
        result.skipped.append((str(job.path), without_path(exc)))
    except OSError as exc:
        result.skipped.append((str(job.path), f"cannot read: {exc.strerror or exc}"))
    return None


def _own_row(job: _Job, said: _Statements, library: _LibraryAsFound) -> Mapping[str, str] | None:
    """The library's row of the job's file when it is the library's own reference file, or
    the instrument file a measured reference was imported from under that reference's id
    (:func:`_imported_from`); else None."""
    own = library.listed.get(job.path.resolve())  # a reference of this library, imported again
    if own is None:  # or the file it was imported from, under its id
        own = _imported_from(
            job.path, said.entry_id or job.given.get("id"), library.rows, library.folder
        )
    return own


def _held_elsewhere(
    job: _Job, spectra: Sequence[Spectrum], said: _Statements, library: _LibraryAsFound
) -> str | None:
    """Why the job's file may not be imported when it is the very file (by its SHA-256) a
    measured reference of another substance was imported from: one spectrum would be a
    reference of two substances. None when it is no such file, or is that substance's."""
    holder = library.imported_sources().get(_sha256_of(spectra))
    if holder is None:
        return None
    # under its own name: replaced, or refused as measured later
    path = job.path
    label = (
        said.name
        or job.given.get("name")
        or str(spectra[0].metadata.get("name") or "").strip()
        or path.stem
    )
    canonical, _ = _canonical(label, library.rows)
    same = canonical["name"] if canonical is not None else label
    if substance_key(same) == substance_key(holder.get("name", "")):
        return None
    # the same instrument file, already another substance's
    refused = _File(job, len(spectra), None).said_where()  # as every refusal names a file
    return (
        f"{refused}: its SHA-256 is that of the file reference {holder['id']} "
        f"({holder['name']}, {holder['file']}) was imported from: the same spectrum "
        f"would be a reference of {holder['name']} and of {label}; to name that "
        "reference otherwise: "
        + command("library", "rename", holder["id"], library=library.folder, name="NEW-NAME")
        + "; to import it again as itself, give its id ("
        + f"{argument('entry_id', holder['id'])}, {argument('force')})"
    )


def _plan_spectrum(under_way: _Import, place: _Place, read: Spectrum) -> None:
    """Plan one spectrum of a file as a reference: judge it, name it, fill in its row's
    provenance and id; it is left out when skipped or refused on the way."""
    judged = _judged_spectrum(under_way, place, read)
    if judged is None:
        return
    spectrum, modality = judged
    named = _named_row(under_way, place, read.metadata)
    if named is None:
        return
    row, canonical, label = named
    row["modality"] = modality
    _fill_provenance(under_way, place, row, spectrum)
    row["id"] = _first_id(under_way, place, row, canonical=canonical, label=label)
    stated_id = bool(under_way.said.entry_id or place.job.given.get("id"))
    under_way.planned.append(_Planned(spectrum, row, place, stated_id))


def _laser_advice(spectrum: Spectrum, job: _Job) -> str:
    """What to do with a Raman axis that looks like the scattered light's wavelength (nm), said
    at import (:func:`~forensic.quality.laser_line_action`): state the laser line, which reads
    the axis as nm. The laser line the file names, if it does, is the one given; a file of a
    manifest is told its row's column."""
    if job.line:  # laser_nm would state it for every row
        return laser_line_action(
            "give the laser line it was measured with in the laser_nm column of "
            f"{job.line} and import it again"
        )
    laser = laser_line_named(spectrum)
    return laser_line_action(
        f"import it again with "
        f"{argument('laser_nm', as_typed='NM' if laser is None else f'{laser:g}')}, the laser "
        "line it was measured with"
    )


def _unit_unstated(
    spectrum: Spectrum, job: _Job, again: str | None = None, *, several: bool = False
) -> str:
    """The note of an IR reference whose file does not name its intensity unit: ``library
    validate`` fails it until the unit is stated (the units gate: the unit decides whether it
    is converted to absorbance), so the import says so now, with what to add to it and run
    again (``y_unit``, and ``force`` to replace the reference just imported, the same
    measurement); a file of a manifest is told its row's column. Said of every file it holds
    for at once: nothing in it is one reference's.

    An import that held other files too is told the import ``again`` of the file (or the
    ``several`` files) it is said of alone (:func:`_name_files_of_units_unstated`): with
    ``y_unit``, the import as it was run would be refused for a file that names another unit,
    and would skip a Raman file."""
    units = " or ".join([", ".join(STATED_Y_UNITS[:-1]), STATED_Y_UNITS[-1]])
    if job.line:  # y_unit would state it for every row
        how = (
            f"give it in the y_unit column of {job.line} ({units}), and run the import again "
            f"with {argument('force')}"
        )
    elif again is not None and several:
        how = (
            f"run the import again of those files alone, UNIT the unit they are in ({units}; "
            f"files in different units, an import of each unit's): {again}"
        )
    elif again is not None:
        how = f"run the import again of that file alone, UNIT the unit it is in ({units}): {again}"
    else:
        how = (
            f"run the import again with {argument('y_unit', as_typed='UNIT')}, "
            f"{argument('force')}, UNIT the unit it is in ({units})"
        )
    return (
        "the file does not name its intensity unit; read as "
        f"{spectrum.y_unit} ({spectrum.metadata['y_unit_basis']}), which 'forensic library "
        f"validate' fails until it is stated: {how}"
    )


def _name_files_of_units_unstated(under_way: _Import, jobs: Sequence[_Job]) -> None:
    """Name, in each note of an IR unit not named (:func:`_unit_unstated`), the files it is
    said of, in the import to run again, when the import held other files too: as it was
    run, with ``y_unit``, it would be refused for those that name another unit. Once every
    file is planned, so that each note names all of its files."""
    given = {job.path.resolve() for job in jobs}
    for text, spectrum in under_way.units_unstated.items():
        files = under_way.notes.files(text)
        paths = [file.job.path for file in files]
        if {path.resolve() for path in paths} == given:  # the import as run, unit added
            continue
        again = _import_again_stating_unit(paths, under_way.said, under_way.library.folder)
        under_way.notes.reword(
            text, _unit_unstated(spectrum, files[0].job, again, several=len(paths) > 1)
        )


_RESTATED = (
    "name",
    "cas",
    "substance_class",
    "synonyms",
    "salt_form",
    "legal_control",
    "modality",
    "laser_nm",
    "added_by",
    "source",
    "licence",
    "entry_id",
)
"""What an import stated (the :class:`_Statements` fields) that its import again of some of
its files states too, so that their references say the same (the flags aside)."""


def _import_again_stating_unit(paths: Sequence[Path], said: _Statements, folder: Path) -> str:
    """The import of ``paths`` alone into ``folder``, as the import that held them was run
    (what it stated: :data:`_RESTATED`, ``override_file``, ``mixed_scripts``; ``replicates``
    for a name or CAS number of several files, which it was given), with the intensity unit
    to fill in (``y_unit=UNIT``) and ``force`` to replace the references it wrote: a call for
    a Python caller, the command for the command line
    (:func:`~forensic.arguments.with_command_line_options`)."""
    stated = [argument("library_dir", str(folder))]
    stated += [argument(key, getattr(said, key)) for key in _RESTATED if getattr(said, key)]
    if (said.name or said.cas) and len(paths) > 1:
        stated.append(argument("replicates"))
    stated += [argument(flag) for flag in ("override_file", "mixed_scripts") if getattr(said, flag)]
    stated += [argument("y_unit", as_typed="UNIT"), argument("force")]
    return call("import_spectra", paths, *stated)


def _modality_unstated(planned: _Planned, folder: Path, *, alone: bool) -> str:
    """The note of a reference whose file does not say whether it is Raman or IR, once its
    id and file are known: ``library validate`` fails it until that is stated (the units
    gate), so the import says so now, with what to add to it and run again (``modality``,
    and ``force`` to replace the reference just imported); a file of a manifest is told its
    row's column. An IR reference whose unit is not named either is told to state its unit
    (:func:`_unit_unstated`), which states IR too.

    As the other modality, the same file would be another reference of the same measurement,
    which the import refuses: the import of the reference's own file that makes it so is
    given (:func:`~forensic.curation.validation.other_modality_import`, as ``library
    validate`` prints it) when the reference is ``alone`` in the import to be read so; of
    several, the note is the same for each, said once, and ``library validate`` prints each
    one's."""
    spectrum, job = planned.spectrum, planned.place.job
    other = next(m for m in MODALITIES if m != spectrum.modality)
    if alone:
        as_other = other_modality_import(folder, planned.row, spectrum)
    else:
        as_other = (
            f"if it is {other}: {command('library', 'validate', folder)} prints the import of "
            f"its reference's file that makes it so"
        )
    read_as = f"read as {spectrum.modality} ({spectrum.metadata['modality_basis']})"
    if spectrum.modality == "ir" and spectrum.y_unit_guessed:
        return (
            f"the file does not say whether it is Raman or IR either; {read_as}: its "
            f"intensity unit, once stated, says it is IR; {as_other}"
        )
    if job.line:  # modality would state it for every row
        how = (
            f"give {spectrum.modality} in the modality column of {job.line}, and run the "
            f"import again with {argument('force')}"
        )
    else:
        how = (
            "run the import again with "
            f"{argument('modality', spectrum.modality)}, {argument('force')}"
        )
    return (
        f"the file does not say whether it is Raman or IR; {read_as}, which 'forensic "
        f"library validate' fails until it is stated: if it is {spectrum.modality}, {how}; "
        f"{as_other}"
    )


def _modalities_noted(under_way: _Import) -> list[str]:
    """The notes of the references planned whose files do not say whether they are Raman or
    IR (:func:`_modality_unstated`): of one, with the import that makes it the other
    modality; of several, each thing once (:class:`_Said`)."""
    guessed = [planned for planned in under_way.planned if planned.spectrum.modality_guessed]
    said = _Said(shortened=True)
    for planned in guessed:
        said.of_spectrum(
            planned.place,
            _modality_unstated(planned, under_way.library.folder, alone=len(guessed) == 1),
        )
    return said.lines(_File.named)


def _judged_spectrum(
    under_way: _Import, place: _Place, read: Spectrum
) -> tuple[Spectrum, str] | None:
    """A spectrum as a reference is made of it, with its modality, or None when it cannot
    be one: not measured, edited since an import wrote it, no Raman or IR, an axis or unit
    that cannot be compared, flat (skipped, saying why), or a laser line or unit stated
    against the file's without ``override_file`` (refused). What is stated over or beyond
    the file is recorded in it (:data:`~forensic.library.STATED_KEY`); what is doubtful of
    it (a clipped band, a unit or modality guessed, an axis unit assumed) is noted."""
    said, skipped, notes = under_way.said, under_way.skipped, under_way.notes
    job = place.job
    spectrum = read
    meta = spectrum.metadata
    given, line = job.given, job.line
    stated_unit, unit_option = job.unit(said)
    stated_laser, laser_option = job.laser(said)
    # "Measured" in a file written by hand is measured: the case is no provenance
    if not is_measured(str(meta.get("provenance") or "").strip().lower()):
        skipped.of_spectrum(
            place,
            f"the spectrum is {meta['provenance']} (provenance in the file), not "
            "measured from a sample: it cannot become a measured reference",
        )
        return None
    edited = digest_problem(spectrum)  # a reference imported again, edited since
    if edited is not None:  # kept, it would go on naming the file it was imported from
        skipped.of_spectrum(place, f"{edited}: not imported; import the instrument's file instead")
        return None
    stated_modality = (said.modality or given.get("modality") or "").lower() or None
    wanted = stated_modality or spectrum.modality
    if wanted not in MODALITIES:
        skipped.of_spectrum(
            place, f"{line + ': ' if line else ''}modality {wanted!r} is not raman or ir"
        )
        return None
    if wanted != spectrum.modality:
        spectrum = spectrum.replace(modality=wanted)
        if wanted == "raman" and spectrum.y_unit_guessed:  # an IR unit guessed for it
            meta_raman = {key: v for key, v in meta.items() if key != "y_unit_basis"}
            spectrum = spectrum.replace(y_unit="arbitrary", metadata=meta_raman)
    statements = []  # what the chemist states over what the file says, recorded
    axis = diagnose_axis_unit(spectrum, nm_action=_laser_advice(spectrum, job))
    if (
        axis is not None
        and stated_laser is not None
        and wanted == "raman"
        and RAMAN_AXIS_IN_NM in axis.fact
    ):  # a file that does not name its axis unit: the stated laser line says it is nm
        shift = wavelength_to_raman_shift(spectrum.wavenumber, stated_laser)
        step = ProcessingStep("wavelength_to_raman_shift", {"laser_wavelength_nm": stated_laser})
        # no longer cm-1 by assumption: the statement below says what the axis was read as
        unassumed = {k: v for k, v in spectrum.metadata.items() if k != "axis_unit_basis"}
        spectrum = spectrum.replace(wavenumber=shift, metadata=unassumed, step=step)
        statements.append("axis read as a wavelength in nm (the file does not say)")
        axis = diagnose_axis_unit(spectrum, nm_action=_laser_advice(spectrum, job))
    if axis is not None:  # it would replace a modelled reference with nonsense
        skipped.of_spectrum(place, f"{axis}: not imported")
        return None
    flat = diagnose_flat(spectrum)
    if flat is not None:  # all at its top, but no band to clip: nothing to refer to
        skipped.of_spectrum(place, f"{flat.fact}: not imported")
        return None
    clipped = diagnose_clipped(spectrum)
    if clipped is not None:
        notes.of_spectrum(
            place, f"{clipped.fact}; 'forensic library validate' will fail it: {clipped.action}"
        )
    who = said.added_by or given.get("added_by") or _login_name()
    if stated_laser is not None:
        file_laser = meta.get("laser_wavelength_file")
        if wanted != "raman":
            under_way.refused.of_spectrum(
                place,
                f"{laser_option} states a Raman laser line, but the spectrum is {wanted}: "
                f"leave it out, or state the modality ({argument('modality', ...)})",
            )
            return None
        if file_laser is not None and float(file_laser) != float(stated_laser):
            if not said.override_file:
                under_way.refused.of_spectrum(
                    place,
                    f"the file names its laser wavelength, {file_laser:g} nm; {laser_option} "
                    f"states {stated_laser:g} nm: if the file is wrong, say so "
                    f"({argument('override_file')}), and the statement is recorded with the "
                    "reference",
                )
                return None
            statements.append(
                f"laser wavelength {stated_laser:g} nm over the file's {file_laser:g} nm"
            )
        elif file_laser is None:
            statements.append(f"laser wavelength {stated_laser:g} nm (the file names none)")
    if stated_unit is not None:
        named = not (spectrum.y_unit_guessed or spectrum.y_unit in ("arbitrary", stated_unit))
        if named and spectrum.modality == "ir" and not said.override_file:
            under_way.refused.of_spectrum(
                place,
                f"the file names its intensity unit, {spectrum.y_unit}; {unit_option} states "
                f"{stated_unit}: if the file's header is wrong (the numbers are not in its "
                f"unit), say so ({argument('override_file')}), and the statement is recorded "
                "with the "
                f"reference; if the file is right, leave {unit_option} out",
            )
            return None
        basis = f"stated at import by {who} over the file's {spectrum.y_unit}"
        try:
            spectrum = spectrum.with_y_unit(
                stated_unit,
                basis if named else "stated at import",
                over_file=named,
            )
        except SpectrumError as exc:
            skipped.of_spectrum(place, str(exc))
            return None
        if named:
            statements.append(
                f"intensity unit {stated_unit} over the file's {spectrum.history[-1].params['was']}"
            )
    if statements:
        earlier = str(spectrum.metadata.get(STATED_KEY) or "")
        stated = f"{'; '.join(statements)} (stated by {who}, {said.date})"
        spectrum = spectrum.with_metadata(
            **{STATED_KEY: f"{earlier}; {stated}" if earlier else stated}
        )
    # in the unit it is now stated in: what a build would leave out, not imported
    # (it would replace a modelled reference with one upside down or misconverted)
    problems = comparison_problems(spectrum)
    if problems:
        found = "; ".join(str(problem) for _, problem in problems)
        skipped.of_spectrum(place, f"{found}: not imported")
        return None
    unit_label = diagnose_unit_label(spectrum)  # a warning: broad true bands fit it too
    if unit_label is not None:
        notes.of_spectrum(place, f"warning: {unit_label.fact}; imported, but {unit_label.action}")
    if stated_modality or (stated_unit in IR_UNITS and spectrum.modality_guessed):
        # an infrared unit states infrared too: with_y_unit refuses one on Raman
        spectrum = spectrum.with_metadata(modality_basis="stated at import")
    if spectrum.axis_unit_assumed:  # the axis check passed it, but the file never said
        notes.of_spectrum(
            place,
            "the file does not name its axis unit; read as cm-1 "
            f"({spectrum.metadata['axis_unit_basis']}): check it, and if it is not cm-1, "
            "export the spectrum with its axis unit",
        )
    if stated_unit is None and wanted == "ir" and spectrum.y_unit_guessed:
        unit_note = _unit_unstated(spectrum, job)
        notes.of_spectrum(place, unit_note)
        if not job.line:
            under_way.units_unstated.setdefault(unit_note, spectrum)
    # a modality read from the numbers is noted once the reference's file is known
    # (_modalities_noted): as the other modality, that file is the one to import
    return spectrum, wanted


def _named_row(
    under_way: _Import, place: _Place, meta: Mapping[str, object]
) -> tuple[dict[str, str], Mapping[str, str] | None, str] | None:
    """The manifest row of a spectrum (``meta``, its file's metadata) with its name and
    identity: the name stated, else the file's, else the file name; a synonym of a library
    substance takes that substance's name and identity. Returns the row, the library
    substance's row it joins (or None) and the name as given, or None when the name is
    refused (a synonym of several substances, a salt's bare name). A CAS number, InChIKey or
    name that cannot be recorded is refused too (:attr:`_Import.refusals`), and a CAS number
    in the file that contradicts the library's (:attr:`_Import.cas_conflicts`); what the
    chemist should know of the name is noted."""
    said, library, notes = under_way.said, under_way.library, under_way.notes
    own = place.file.own
    job = place.job
    given, path = job.given, job.path
    rows = library.rows
    label = said.name or given.get("name") or str(meta.get("name") or "").strip()
    # where a name nobody stated came from: a new substance made of it is told
    taken_from = None if label or meta.get("entry_id") else "file name"
    if label and not (said.name or given.get("name") or meta.get("entry_id")):
        taken_from = _NAME_PLACES.get(str(meta.get("source_format") or ""), "header")
    if not label:
        label = place.numbered(path.stem)
    row = {c: "" for c in MANIFEST_COLUMNS}
    if own is not None and substance_key(own.get("name", "")) == substance_key(label):
        canonical, matched = own, [own["name"]]  # the same reference, its own row
    else:
        canonical, matched = _canonical(label, rows)
    if canonical is None and len(matched) > 1:
        under_way.refused.of_spectrum(
            place,
            f"name {label!r} is a synonym of {' and '.join(matched)}: which one is the "
            f"sample? give its exact name ({argument('name', ...)}, or the name column)",
        )
        return None
    if canonical is not None:
        if substance_key(canonical["name"]) != substance_key(label):
            in_column = bool(given.get("name") and not said.name)
            salt = _salt_refusal(label, canonical, in_column=in_column)
            if salt is not None:
                under_way.refused.of_spectrum(place, salt)
                return None
            notes.of_spectrum(place, f"name {label!r} is the library's {canonical['name']!r}")
        for key in ("synonyms", "cas", "class", "legal_control", "salt_form"):
            row[key] = canonical.get(key, "")
        if substance_key(canonical["name"]) != substance_key(label):
            synonyms = [s for s in row["synonyms"].split(";") if s]
            if substance_key(label) not in map(substance_key, synonyms):
                row["synonyms"] = ";".join([*synonyms, label])
        label = canonical["name"]
    file_cas = str(meta.get("cas") or "").strip()
    stated_cas = said.cas if said.cas is not None else given.get("cas")
    if file_cas and stated_cas and cas_key(file_cas) != cas_key(stated_cas):
        notes.of_spectrum(
            place, f"the file gives CAS {file_cas}; imported as {stated_cas} (stated)"
        )
    elif file_cas and not stated_cas and row["cas"] and cas_key(file_cas) != cas_key(row["cas"]):
        # cocaine HCl is 53-21-4, the base 50-36-2: a name and a number that disagree
        # may be a salt taken for the base; neither may silently win
        under_way.cas_conflicts.of_spectrum(
            place, f"the file gives CAS {file_cas} but the library's {label} is {row['cas']}"
        )
    file_synonyms = meta.get("synonyms")
    if file_synonyms and not row["synonyms"]:
        row["synonyms"] = (
            file_synonyms if isinstance(file_synonyms, str) else ";".join(map(str, file_synonyms))
        )
    for key, meta_key in (("cas", "cas"), ("class", "class")):
        if meta.get(meta_key) and not row[key]:
            row[key] = str(meta[meta_key]).strip()
    row.update({key: v for key, v in given.items() if key in MANIFEST_COLUMNS and v})
    row["name"] = label
    if said.cas is not None:
        row["cas"] = said.cas
    if said.substance_class is not None:
        row["class"] = said.substance_class
    if said.synonyms is not None:
        row["synonyms"] = ";".join(p.strip() for p in said.synonyms.split(";") if p.strip())
    if said.salt_form is not None:
        row["salt_form"] = said.salt_form.strip()
    if said.legal_control is not None:
        row["legal_control"] = said.legal_control.strip()
    if canonical is None and taken_from:
        notes.of_spectrum(place, _new_name_note(label, taken_from, rows, row["cas"]))
    if row["cas"] and not cas_is_valid(row["cas"]):
        whose = "stated" if stated_cas else "the file's" if file_cas else f"the library's {label}"
        under_way.refused.of_spectrum(
            place,
            f"{cas_problem(row['cas'])} ({whose}); state the right one "
            f"({argument('cas', ...)}, or the cas column), or leave it out while the substance "
            "has none",
        )
    if row["inchikey"] and (problem := inchikey_problem(row["inchikey"])):
        under_way.refused.of_spectrum(place, f"{problem}; correct the inchikey column")
    before = set(_names_of(canonical)) if canonical is not None else set()
    new_names = [n for n in _names_of(row) if n not in before]
    refusals = {
        n: _name_refusals([n], library.known, mixed_scripts=said.mixed_scripts) for n in new_names
    }
    for n, refused in refusals.items():
        for refusal in refused:
            under_way.refused.of_spectrum(place, refusal)
        if not refused:  # a name refused is none to compare with: refused alike each time
            library.known.setdefault(printed_key(n), []).append(n)
    return row, canonical, label


def _fill_provenance(
    under_way: _Import, place: _Place, row: dict[str, str], spectrum: Spectrum
) -> None:
    """Fill in a reference's provenance: measured; its source, licence, who added it and
    when, as stated, else as its manifest row says, else as its own row said (a library's
    own file imported again), else from the file (the source) or the login name and today.
    A missing licence is noted, of the file."""
    said, given = under_way.said, place.job.given
    row["provenance"] = "measured"
    kept = place.file.own or {}  # a library's own file imported again keeps who and where from
    row["source"] = (
        said.source
        or given.get("source")
        or kept.get("source")
        or _default_source(spectrum, place.job.path)
    )
    row["licence"] = said.licence or given.get("licence") or kept.get("licence") or ""
    if not row["licence"]:
        under_way.notes.of_file(
            place.file, f"no licence given ({argument('licence', ...)}): validate will flag it"
        )
    row["added_by"] = (
        said.added_by or given.get("added_by") or kept.get("added_by") or _login_name()
    )
    row["added_at"] = given.get("added_at") or kept.get("added_at") or said.date
    row["waivers"] = row["waivers"] or kept.get("waivers", "")  # said of this spectrum


def _first_id(
    under_way: _Import,
    place: _Place,
    row: Mapping[str, str],
    *,
    canonical: Mapping[str, str] | None,
    label: str,
) -> str:
    """The id a reference is given before the ids of one import are made unique
    (:func:`_give_ids`): the one stated, its own (a library's own file imported again as
    itself), else :func:`_default_id`; an id made from a name in other letters is noted."""
    stated = under_way.said.entry_id or place.job.given.get("id")
    if stated:
        return stated
    wanted, own = row["modality"], place.file.own
    if own is not None and own.get("modality") == wanted and canonical is own:
        return own["id"]  # imported again as itself: its id stays
    entry_id = _default_id(label, wanted, under_way.library.rows)
    if not label.isascii() and entry_id == f"{_slug(label)}-{wanted}":
        under_way.notes.of_spectrum(
            place,
            f"the id {entry_id} is made from the name {label!r} in ASCII letters "
            "(an id is typed back from reports); if it reads badly, give another "
            f"({argument('entry_id', ...)}, or the id column)",
        )
    return entry_id


def _refuse_what_cannot_be_recorded(under_way: _Import) -> None:
    """Refuse the import, every reason at once, when a name or CAS number cannot be
    recorded, a file's CAS number contradicts the library's, ``--id`` is given for several
    spectra, or nothing is left to import."""
    said, result = under_way.said, under_way.result
    refusals = [*under_way.refusals, *under_way.refused.lines(_File.said_where)]
    if refusals:
        raise LibraryError(f"not imported: {'; '.join(refusals)}; nothing was written")
    conflicts = under_way.cas_conflicts.lines(_File.skipped_as)
    if conflicts:
        raise LibraryError(
            "not imported: a CAS number in the file contradicts the library's for the same "
            f"name: {'; '.join(conflicts)}; if the name is right, state the CAS "
            f"number ({argument('cas', ...)}, or {_a_manifest('cas')}); "
            "if the number is right, give the name of the substance it belongs to "
            f"({argument('name', ...)})"
        )
    if said.entry_id and len(under_way.planned) > 1:
        raise LibraryError(
            f"{argument('entry_id', said.entry_id)} names one entry but "
            f"{len(under_way.planned)} spectra are being imported: give ids in "
            f"{_a_manifest('id')} instead"
        )
    if not under_way.planned:
        reasons = "; ".join(f"{p}: {r}" for p, r in result.skipped[:3])
        raise LibraryError(f"nothing imported: no spectrum could be imported ({reasons})")


def _give_ids(under_way: _Import, *, force: bool) -> str | None:
    """Make the ids of the planned references unique within the import (``-2``, ``-3``...,
    noted), and set the file each is written to. Refused: an id the id rule does not allow,
    the id of another modality's or another substance's reference (even with ``force``).
    Returns why the import is refused when it would replace entries that are not modelled
    without ``force`` (raised once :func:`_refuse_measurements_held` has said whether they
    are the very measurements imported again), else None."""
    library, result = under_way.library, under_way.result
    by_id = {r["id"]: r for r in library.rows}
    taken: set[str] = set()
    bases: set[tuple[str, Path]] = set()
    holders: dict[str, str] = {}  # id -> the name of the reference given it in this import
    others, modalities, unsafe = [], [], []
    in_the_way: dict[_File, list[tuple[int, Mapping[str, str]]]] = {}  # without force
    for planned in under_way.planned:
        row, origin, said_of = planned.row, planned.origin, planned.whence
        base, n = row["id"], 1
        further = (base, origin) in bases  # a further spectrum of the same file
        bases.add((base, origin))
        while row["id"] in taken:
            n += 1
            row["id"] = f"{base}-{n}"
        if n > 1 and not (further and origin in under_way.told):  # a file's spectra: told once
            if planned.stated_id and not further:  # the id was repeated, not (only) the name
                result.notes.append(
                    f"{said_of}: the id {base} is given to more than one reference "
                    f"({holders[base]} first): {row['name']} is imported as {row['id']} (check "
                    "the id column of the manifest if an id was copied by mistake)"
                )
            else:
                result.notes.append(
                    f"{said_of}: {row['name']} is imported more than once: this one is a "
                    f"further reference {row['id']} (check the manifest if one name was "
                    "copied by mistake)"
                )
        if problem := id_problem(row["id"]):  # an id the library held before ids were checked
            unsafe.append(f"{row['name']}: {problem}")
        holders[row["id"]] = row["name"]
        taken.add(row["id"])
        row["file"] = f"{row['modality']}/{row['id']}.jdx"
        old = by_id.get(row["id"])
        if old is None:
            continue
        if old.get("modality") != row["modality"]:
            # even with --force: the id (and file) of the other modality's reference
            modalities.append(
                f"{row['id']} is the id of the {old.get('modality')} reference of "
                f"{old.get('name')}, not a {row['modality']} one"
            )
        elif substance_key(old.get("name", "")) != substance_key(row["name"]):
            # even with --force: results would cite one substance's id for another
            others.append(f"{row['id']} holds {old.get('name')}, not {row['name']}")
        elif old.get("provenance") != "modelled" and not force:
            in_the_way.setdefault(planned.place.file, []).append((planned.place.k, old))
    folder = library.folder
    how = _new_id_advice(len(under_way.planned))
    if unsafe:  # its file would be written where the id points
        raise LibraryError(
            f"not imported: {'; '.join(unsafe)} (the id of its reference in {folder}); give "
            f"the new reference a safe id ({how}); nothing was written"
        )
    if modalities:  # one id names one reference: it would be removed, whatever the force
        raise LibraryError(
            f"not imported: {'; '.join(modalities)} (in {folder}); give the new reference its "
            f"own id ({how}), or leave the id out for the one of its substance and modality; "
            "nothing was written"
        )
    if others:  # --force would replace another substance's reference: never suggested
        raise LibraryError(
            f"not imported: the id of another substance in {folder}: {'; '.join(others)}; give "
            f"the new reference its own id ({how})"
        )
    if not in_the_way:
        return None
    replaced_by = {
        file.said_where(file.places(k for k, _ in held)): [row for _, row in held]
        for file, held in in_the_way.items()
    }
    return _taken_refusal(replaced_by, folder, spectra=len(under_way.planned))


def _held_by(planned: _Planned, library: _LibraryAsFound) -> tuple[list[Mapping[str, str]], bool]:
    """The library's measured references that already hold the measurement a planned
    reference is, and whether they were found by the file (True: imported from the same
    file, by its SHA-256, whatever was stated over it) or else by its values
    (:func:`~forensic.curation.digest.same_measurement`: a copy or a re-export of it). The
    reference its file is (a library's own file imported again, or the instrument file of a
    reference imported again under its id) is not among them: it is replaced."""
    meta = planned.spectrum.metadata
    # a reference file an import wrote keeps the instrument file it came from as its origin
    origin = str(meta.get("imported_sha256") or meta.get("source_sha256") or "")
    others = [(row, ref) for row, ref in library.references() if row is not planned.own]
    by_file = [
        row for row, ref in others if origin and ref.metadata.get("imported_sha256") == origin
    ]
    if by_file:
        return by_file, True
    return [row for row, ref in others if same_measurement(ref, planned.spectrum)], False


def _entries_said(rows: Sequence[Mapping[str, str]]) -> str:
    """Library entries as a refusal names them: ``reference X (Name, raman/X.jdx, added D)``,
    or, for several, their ids together by name and date (``references X, X-2 (Name, added
    D)``)."""
    if len(rows) == 1:
        row = rows[0]
        return f"reference {row['id']} ({row['name']}, {row['file']}, added {row.get('added_at')})"
    ids: dict[str, list[str]] = {}
    for row in rows:
        ids.setdefault(f"({row['name']}, added {row.get('added_at')})", []).append(row["id"])
    return "references " + ", ".join(f"{', '.join(same)} {what}" for what, same in ids.items())


def _refuse_measurements_held(under_way: _Import, *, force: bool) -> None:
    """Refuse, naming the entries that hold them, the spectra of an import that are
    measurements the library already holds (:func:`_held_by`), or that an earlier spectrum
    of the import is: one measurement in two entries is a false replicate, which weighs its
    substance twice in a search and passes the gates that compare replicates with no
    variation between them. A spectrum imported again as itself (its reference's own file,
    or under its reference's id with ``force``) replaces that reference and is not refused;
    without ``force`` the advice is to give it."""
    said = _Said()
    for k, planned in enumerate(under_way.planned):
        name = planned.row["name"]
        holders, by_file = _held_by(planned, under_way.library)
        if holders:
            ids = [row["id"] for row in holders]
            if force and planned.row["id"] in ids:
                continue  # imported again as itself, to state what the file gets wrong
            how = (
                "imported from this file or a copy of it (the same SHA-256)"
                if by_file
                else "whose values it holds (the same measurement in another file: a copy or "
                "a re-export)"
            )
            names = list(dict.fromkeys(row["name"] for row in holders))
            if {substance_key(n) for n in names} == {substance_key(name)}:
                why = f"a second entry of one measurement would be a false replicate of {name}"
            else:  # the reference's name may be the wrong one
                why = (
                    f"the same measurement would be a reference of {' and '.join(names)} and "
                    f"of {name}; to name that reference otherwise: "
                    + command(
                        "library",
                        "rename",
                        ids[0],
                        library=under_way.library.folder,
                        name="NEW-NAME",
                    )
                )
            modality, was = planned.row["modality"], holders[0].get("modality")
            if planned.row["id"] in ids:
                advice = f"pass {argument('force')}"
            elif len(holders) == 1 and was != modality:  # its id is the other modality's
                advice = (
                    f"or as {modality} instead of {was}, give that reference's file, "
                    f"{under_way.library.folder / holders[0]['file']}, in this file's place, "
                    f"with the same options (the {was} reference {ids[0]} is replaced)"
                )
            elif planned.place.file.count == 1:
                advice = f"give its id ({argument('entry_id', ids[0])}, {argument('force')})"
            else:
                advice = (
                    f"give the file the id of its first reference ({ids[0]}) in "
                    f"{_a_manifest('id')}, with {argument('force')}"
                )
            said.of_spectrum(
                planned.place,
                f"already in {under_way.library.folder} as {_entries_said(holders)}, {how}: "
                f"{why}; to import it again as itself (to state what the file gets wrong), "
                f"{advice}",
            )
            continue
        twin = next(
            (p for p in under_way.planned[:k] if same_measurement(p.spectrum, planned.spectrum)),
            None,
        )
        if twin is not None:
            given = twin.place.file.said_where(twin.place.file.places([twin.place.k]))
            said.of_spectrum(
                planned.place,
                f"the same measurement as {given}, imported with it (a copy, or a re-export): "
                f"a second entry of one measurement would be a false replicate of {name}; "
                "import one of them",
            )
    refusals = said.lines(_File.said_where)
    if refusals:
        raise LibraryError(f"not imported: {'; '.join(refusals)}; nothing was written")


def _new_id_advice(spectra: int) -> str:
    """How to give the references an import plans (``spectra`` of them) ids of their own:
    ``--id`` for one spectrum; for several, which ``--id`` refuses, a manifest's id column
    (a file's further spectra take the id with ``-2``, ``-3``, ...: :func:`_give_ids`)."""
    if spectra == 1:
        return f"{argument('entry_id', as_typed='NEW-ID')}, or {_a_manifest('id')}"
    return (
        f"{_a_manifest('id')}, one id for each file, its further "
        f"spectra taking NEW-ID-2, NEW-ID-3, ...: {argument('entry_id', ...)} names one "
        "spectrum only"
    )


def _replacements(
    under_way: _Import, *, force: bool
) -> tuple[list[tuple[Spectrum, Path]], list[Mapping[str, str]]]:
    """The reference files to write and the manifest rows the library keeps: each planned
    reference replaces the row of its id, the modelled reference of its substance and
    modality, and its own row (a library's own file imported again), taking their notes.
    Refused when a file is in the way that the manifest does not list (unless ``force``)."""
    result = under_way.result
    folder = under_way.library.folder
    keep = list(under_way.library.rows)
    writes: list[tuple[Spectrum, Path]] = []
    for planned in under_way.planned:
        new_row = planned.row
        gone = [
            r
            for r in keep
            if (r["id"] == new_row["id"] and r.get("modality") == new_row["modality"])
            or (
                r.get("provenance") == "modelled"
                and r.get("modality") == new_row["modality"]
                and substance_key(r.get("name", "")) == substance_key(new_row["name"])
            )
            or r is planned.own  # a library's own file imported again: one spectrum, one reference
        ]
        for r in gone:
            keep.remove(r)
            result.replaced.append(dict(r))
        row = _with_notes_of(new_row, gone)
        target = folder / row["file"]
        replaceable = force or any((folder / r["file"]).resolve() == target.resolve() for r in gone)
        if target.exists() and not replaceable:  # found before anything is written
            raise LibraryError(
                f"not imported: {target} already exists but the manifest does not list it as "
                f"{row['name']}'s (a file left by an earlier import, or copied in); move it "
                f"away, or pass {argument('force')} to overwrite it; nothing was written"
            )
        writes.append((_reference_spectrum(planned.spectrum, row), target))
        keep.append(row)
        result.imported.append(row)
    return writes, keep


def _reference_spectrum(spectrum: Spectrum, row: Mapping[str, str]) -> Spectrum:
    """The spectrum as its reference file states it: its row's name, id and identity,
    measured, where it was imported from, and the digest of its values."""
    meta = dict(spectrum.metadata)
    meta.update(
        name=row["name"],
        entry_id=row["id"],
        provenance="measured",
        **{"class": row["class"]},
    )
    if row["cas"]:
        meta["cas"] = row["cas"]
    if row["synonyms"]:
        meta["synonyms"] = row["synonyms"]
    # the registry's source_* keys describe the file read now: keep them as the origin,
    # unless the file is a reference an import wrote (imported again to state its unit, or
    # from another library): its origin stays the file it was first imported from
    first_origin = bool(meta.get("imported_file"))
    for key in ("file", "sha256", "format"):
        value = meta.pop(f"source_{key}", None)
        if value and not first_origin:
            meta[f"imported_{key}"] = value
    meta[DATA_DIGEST_KEY] = data_digest(spectrum)  # an edit of a value shows
    return spectrum.replace(metadata=meta)


def _remove_replaced_files(
    replaced: Sequence[Mapping[str, str]], kept: Sequence[Mapping[str, str]], folder: Path
) -> None:
    """Delete the files of the replaced references that no kept row lists: after the
    manifest is written, since a file left over is harmless and one lost is not."""
    for r in replaced:
        old_file = folder / r["file"]
        if r["file"] not in {row["file"] for row in kept} and old_file.is_file():
            old_file.unlink()


def _provenance_word(row: Mapping[str, str]) -> str:
    """What a library entry is, by the provenance its row records, in the words a message
    says it in: ``measured`` (also when none is recorded, as :func:`is_measured` reads it),
    ``simulated``, ``modelled``, or ``of provenance 'x'`` for one the toolkit does not know."""
    provenance = str(row.get("provenance") or "")
    if is_measured(provenance):
        return MEASURED
    return provenance if provenance in PROVENANCES else f"of provenance {provenance!r}"


def _taken_refusal(
    taken: Mapping[str, Sequence[Mapping[str, str]]], folder: Path, *, spectra: int
) -> str:
    """Why an import is refused that would overwrite entries (rows of ``folder``'s manifest)
    without ``force``: ``taken`` gives them by the spectra that would replace them (as a
    refusal names those: ``multi.jdx``, ``multi.jdx #1, #3``). Each entry is said as what
    its provenance records (a simulated or modelled reference is never called a measured
    one), and entries of one name, kind and date once, their ids together; how to add the
    ``spectra`` the import holds under other ids instead is said as fits so many
    (:func:`_new_id_advice`)."""
    entries = [row for rows in taken.values() for row in rows]
    words = [_provenance_word(row) for row in entries]
    kinds = list(dict.fromkeys(words))
    plural = len(entries) > 1
    said = []
    for replacing, rows in taken.items():
        ids: dict[str, list[str]] = {}  # what is said of entries -> their ids
        for row in rows:
            word = _provenance_word(row)
            kind = f"{word.removeprefix('of ')}, " if len(kinds) > 1 else ""
            ids.setdefault(f"({row.get('name')}, {kind}added {row.get('added_at')})", []).append(
                row["id"]
            )
        listed = ", ".join(f"{', '.join(same)} {what}" for what, same in ids.items())
        said.append(f"{replacing} would replace {listed}")
    noun = "entries" if plural else "entry"
    if len(kinds) > 1:
        what = noun
    elif kinds[0].startswith("of provenance"):
        what = f"{noun} {kinds[0]}"
    else:
        what = f"{kinds[0]} {noun}"
    return (
        f"not imported: {what} already in {folder}: {'; '.join(said)}; pass "
        f"{argument('force')} to replace "
        + ("them" if plural else "it")
        + f", or give other ids ({_new_id_advice(spectra)}) to add "
        + ("other references" if spectra > 1 else "another reference")
    )


def _with_notes_of(row: Mapping[str, str], replaced: Sequence[Mapping[str, str]]) -> ManifestRow:
    """``row`` with the comment lines and the lab's own columns of the rows it replaces: a
    chemist's note on a reference stays with it when an import replaces the reference (a
    measured one for a modelled one, or the same file imported again with its unit stated)."""
    new = ManifestRow(row)
    new.comments = tuple(line for old in replaced for line in getattr(old, "comments", ()))
    for old in replaced:
        for key, value in old.items():
            if key not in MANIFEST_COLUMNS and value:
                new.setdefault(key, value)
    return new


def _write_all(
    writes: list[tuple[Spectrum, Path]], manifest_path: Path, rows: ManifestRows
) -> None:
    """Write the imported references and then the manifest that lists them, or, when any of
    it fails, put back every file as it was: a failed import leaves the library folder as it
    found it, never with files its manifest does not list."""
    before: list[tuple[Path, bytes | None]] = []
    try:
        for reference, target in writes:
            before.append((target, target.read_bytes() if target.is_file() else None))
            target.parent.mkdir(parents=True, exist_ok=True)
            write_spectrum(reference, target, format="jcamp", overwrite=True)
        write_manifest(manifest_path, rows)
    except BaseException:
        for target, old in reversed(before):
            with contextlib.suppress(OSError):
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    atomic_write_bytes(target, old, overwrite=True)
        raise


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown"
