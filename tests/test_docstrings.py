"""The public API's numpydoc: Parameters and Returns sections that name what the code takes."""

from __future__ import annotations

import inspect
import re

import pytest

from forensic.custody.keys import keys_folder
from forensic.custody.store import is_evidence_store
from forensic.custody.unrecorded import kept_folders
from forensic.report.content import exhibit_custody_limitations


def _section(doc: str, title: str) -> str | None:
    """The text of the numpydoc section ``title`` of ``doc``, or None when it has none."""
    heading = rf"^{title}\n-{{{len(title)}}}\n"
    found = re.search(heading + r"(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    return found[1] if found else None


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
