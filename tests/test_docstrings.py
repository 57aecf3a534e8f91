"""The public API's numpydoc: Parameters and Returns sections that name what the code takes."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import re

import pytest

from forensic.custody.keys import keys_folder
from forensic.custody.store import is_evidence_store
from forensic.custody.unrecorded import kept_folders
from forensic.report.content import exhibit_custody_limitations

# Every public name (in ``__all__``) of these modules must document what it takes and gives.
DOCUMENTED_MODULES = [
    "drivers",
    "drivers.acquisition",
    "drivers.base",
    "drivers.errors",
    "drivers.folder",
    "drivers.obp",
    "drivers.ocean_rs232",
    "drivers.protocols",
    "drivers.seabreeze_usb",
    "drivers.simulators",
    "drivers.simulators.ftir_sim",
    "drivers.simulators.obp_sim",
    "drivers.simulators.ocean_sim",
    "drivers.simulators.pty",
    "drivers.simulators.synth",
    "drivers.transport",
    "drivers.urls",
    "forensic",
    "forensic.alignment",
    "forensic.cli",
    "forensic.cli.files",
    "forensic.cli.result",
    "forensic.commands",
    "forensic.curation",
    "forensic.curation.manifest",
    "forensic.curation.digest",
    "forensic.curation.editing",
    "forensic.curation.approval",
    "forensic.custody",
    "forensic.custody.bundle",
    "forensic.custody.chain",
    "forensic.custody.continuity",
    "forensic.custody.filing",
    "forensic.custody.keys",
    "forensic.custody.known_stores",
    "forensic.custody.since",
    "forensic.custody.statements",
    "forensic.custody.store",
    "forensic.custody.unrecorded",
    "forensic.custody.verify",
    "forensic.errors",
    "forensic.files",
    "forensic.identification",
    "forensic.instruments",
    "forensic.io",
    "forensic.io.jcamp",
    "forensic.io.opus",
    "forensic.io.spa",
    "forensic.io.spc",
    "forensic.io.text",
    "forensic.io.wdf",
    "forensic.library",
    "forensic.library_folders",
    "forensic.mixtures",
    "forensic.modelled",
    "forensic.naming",
    "forensic.operators",
    "forensic.processing",
    "forensic.quality",
    "forensic.report",
    "forensic.report.content",
    "forensic.report.issue",
    "forensic.report.layout",
    "forensic.report.pdf",
    "forensic.report.text",
    "forensic.samples",
    "forensic.search",
    "forensic.spectrum",
    "forensic.verdict",
    "forensic.workflows",
]

# Public names that genuinely cannot have the sections, each with the reason.
EXCEPTIONS: dict[str, str] = {}


def _section(doc: str, title: str) -> str | None:
    """The text of the numpydoc section ``title`` of ``doc``, or None when it has none."""
    heading = rf"^{title}\n-{{{len(title)}}}\n"
    found = re.search(heading + r"(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    return found[1] if found else None


def _documented_names(section: str) -> set[str]:
    """The names a Parameters (or Attributes) section lists: its unindented lines, each
    ``name : type``, ``name1, name2 : type`` or a bare ``name1, name2`` (``*args``, ``**kw``)."""
    names = set()
    for line in section.splitlines():
        if line and not line[0].isspace():
            names.update(name.strip().lstrip("*") for name in line.split(" : ")[0].split(","))
    return names


def _public_objects() -> list[tuple[str, object]]:
    """``(module.name, object)`` for each public function and class of the documented
    modules, once each (a name re-exported by a package is checked where it is defined)."""
    found: dict[int, tuple[str, object]] = {}
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants are documented by a docstring after their assignment
            home = getattr(obj, "__module__", "")
            found.setdefault(id(obj), (f"{home}.{obj.__qualname__}", obj))
    return sorted(found.values())


def _constructor_parameters(cls: type) -> list[str]:
    """The parameters a class is made with, or the fields of a dataclass or NamedTuple."""
    if dataclasses.is_dataclass(cls):
        # a field named with a leading underscore is the class's own, not its callers'
        return [f.name for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")]
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return list(cls._fields)
    if issubclass(cls, (BaseException, enum.Enum)) or cls.__init__ is object.__init__:
        return []  # an exception's or enum's arguments are the base class's
    signature = inspect.signature(cls)
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _problems(qualified: str, obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return [f"{qualified}: no docstring"]
    problems = []
    if inspect.isclass(obj):
        wanted = set(_constructor_parameters(obj))
        if wanted:
            section = _section(doc, "Parameters") or ""
            section += _section(doc, "Attributes") or ""
            missing = wanted - _documented_names(section)
            if missing:
                problems.append(f"{qualified}: Parameters/Attributes lack {sorted(missing)}")
        return problems
    signature = inspect.signature(obj)
    wanted = {name for name in signature.parameters if name not in ("self", "cls")}
    if wanted:
        documented = _documented_names(_section(doc, "Parameters") or "")
        if wanted - documented:
            problems.append(f"{qualified}: Parameters lack {sorted(wanted - documented)}")
        if documented - wanted:
            problems.append(
                f"{qualified}: Parameters name {sorted(documented - wanted)}, "
                "which it does not take"
            )
    # as written (a str under ``from __future__ import annotations``), not evaluated: some
    # name types imported only for type checkers
    returned = signature.return_annotation
    if returned is inspect.Signature.empty:
        problems.append(f"{qualified}: no return annotation, so no telling what it returns")
    elif returned not in (None, "None") and not (
        _section(doc, "Returns") or _section(doc, "Yields")
    ):
        problems.append(f"{qualified}: no Returns section")
    return problems


@pytest.mark.parametrize(
    ("qualified", "obj"),
    [
        pytest.param(qualified, obj, id=qualified)
        for qualified, obj in _public_objects()
        if qualified not in EXCEPTIONS
    ],
)
def test_public_api_documents_its_parameters_and_returns(qualified, obj):
    problems = _problems(qualified, obj)
    assert not problems, "\n".join(problems)


# The engine's classes, whose methods a notebook calls: each public method documents what it
# takes and gives too (Library.block, Pipeline.with_params, Spectrum.from_dict... said it in a
# line, or not at all).
ENGINE_MODULES = (
    "forensic.alignment",
    "forensic.identification",
    "forensic.library",
    "forensic.mixtures",
    "forensic.processing",
    "forensic.quality",
    "forensic.search",
    "forensic.spectrum",
    "forensic.verdict",
)


def _public_methods() -> list[tuple[str, object]]:
    """``(module.Class.method, function)`` of each public method of the engine's public
    classes, classmethods and staticmethods included."""
    found = []
    for qualified, cls in _public_objects():
        if not inspect.isclass(cls) or issubclass(cls, BaseException):
            continue
        if not qualified.startswith(tuple(f"{m}." for m in ENGINE_MODULES)):
            continue
        for name, member in vars(cls).items():
            function = getattr(member, "__func__", member)  # classmethod, staticmethod
            if not name.startswith("_") and inspect.isfunction(function):
                found.append((f"{qualified}.{name}", function))
    return found


@pytest.mark.parametrize(
    ("qualified", "method"),
    [pytest.param(qualified, method, id=qualified) for qualified, method in _public_methods()],
)
def test_the_engine_s_public_methods_document_their_parameters_and_returns(qualified, method):
    problems = _problems(qualified, method)
    assert not problems, "\n".join(problems)


def test_exceptions_are_public_names_that_exist():
    # an exception left for a name renamed or since documented would excuse nothing
    known = {qualified for qualified, _ in _public_objects()}
    assert set(EXCEPTIONS) <= known
    for qualified in EXCEPTIONS:
        obj = dict(_public_objects())[qualified]
        assert _problems(qualified, obj), f"{qualified} complies now: drop its exception"


def test_the_check_finds_what_is_missing():
    # the check itself: a function without sections, and one with a stale name, are caught
    def undocumented(spectrum: object, *, tolerance_cm1: float = 2.0) -> float:
        """Summary only."""
        return 0.0

    def stale(spectrum: object) -> float:
        """Summary.

        Parameters
        ----------
        spectrum, reference : Spectrum
            The spectra.

        Returns
        -------
        float
            A score.
        """
        return 0.0

    found = _problems("undocumented", undocumented)
    assert any("lack ['spectrum', 'tolerance_cm1']" in problem for problem in found)
    assert any("no Returns section" in problem for problem in found)
    assert _problems("stale", stale) == [
        "stale: Parameters name ['reference'], which it does not take"
    ]


@pytest.mark.parametrize(
    "function",
    [is_evidence_store, keys_folder, kept_folders, exhibit_custody_limitations],
    ids=lambda function: function.__name__,
)
def test_public_functions_document_their_parameters_and_return(function):
    # these four said what they took and gave in a sentence, with no sections to read it from
    doc = inspect.getdoc(function) or ""
    assert _section(doc, "Returns"), f"{function.__name__}: no Returns section"
    parameters = list(inspect.signature(function).parameters)
    if parameters:
        section = _section(doc, "Parameters") or ""
        documented = set(re.findall(r"^(\w[\w, ]*?) :", section, re.M))
        named = {name.strip() for entry in documented for name in entry.split(",")}
        assert named == set(parameters), f"{function.__name__}: documents {sorted(named)}"
