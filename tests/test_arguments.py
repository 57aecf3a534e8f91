"""What to give, said to a Python caller as its argument and to the command line as its
option: one table (forensic.arguments.ARGUMENT_OPTIONS), walked here against the functions
and the commands it speaks for."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from forensic.arguments import (
    ARGUMENT_OPTIONS,
    FUNCTION_COMMANDS,
    argument,
    call,
    with_command_line_options,
)
from forensic.cli import main
from forensic.cli.identify import _say_error
from forensic.curation import import_spectra
from forensic.curation.editing import rename_references
from forensic.curation.export import export_library
from forensic.curation.publish import publish_library
from forensic.custody.bundle import export_bundle
from forensic.errors import ForensicError
from forensic.files import not_overwritten
from forensic.library import Library
from forensic.report.issue import issue_report
from forensic.workflows import scan

# each function whose messages name its arguments, and the command that calls it
SPOKEN_FOR = [
    (issue_report, ("report",)),
    (scan, ("scan",)),
    (import_spectra, ("library", "import")),
    (Library.from_folder, ("library", "build")),
    (export_library, ("library", "export")),
    (publish_library, ("library", "publish")),
    (export_bundle, ("bundle", "export")),
    (rename_references, ("library", "rename")),
]


def _options(path: tuple[str, ...]) -> set[str]:
    command = main
    for word in path:
        command = command.commands[word]
    return {option for param in command.params for option in param.opts}


def test_every_argument_in_the_table_is_a_real_argument_and_its_option_a_real_option():
    """Each argument is one of a function the table speaks for, whose command has its option
    (an argument of the same name elsewhere, export_library's source, is another thing)."""
    for name, option in ARGUMENT_OPTIONS.items():
        speaking = [
            " ".join(path)
            for function, path in SPOKEN_FOR
            if name in inspect.signature(function).parameters and option in _options(path)
        ]
        assert speaking, f"{name}: no function's argument whose command has {option}"


def test_every_argument_a_message_names_has_its_option():
    """An argument named in a message (argument("x", ...)) that the table does not hold
    would reach the command line in Python's words: each is found in the source."""
    named = set()
    for source in Path(__file__).parents[1].joinpath("forensic").rglob("*.py"):
        text = source.read_text("utf-8")
        named |= set(re.findall(r"(?<![.\w])argument\(\s*[\"'](\w+)[\"']", text))
    assert named, "no message names an argument: the walk finds nothing"
    assert named <= set(ARGUMENT_OPTIONS), sorted(named - set(ARGUMENT_OPTIONS))


def test_an_argument_without_an_option_is_refused():
    with pytest.raises(KeyError, match="case_number: no command-line option said"):
        argument("case_number")
    with pytest.raises(ValueError, match="laser_nm=nm: not a value"):
        argument("laser_nm", as_typed="nm")


@pytest.mark.parametrize(
    ("python", "command_line"),
    [
        ("pass force=True", "use --force"),
        ("(pass overwrite=True to replace it)", "(use --force to replace it)"),
        ("add overwrite=True to replace it", "add --force to replace it"),
        ("give its id (entry_id='x-raman', force=True)", "give its id (--id x-raman --force)"),
        ("no licence given (licence=...)", "no licence given (--licence)"),
        (
            "import it again with laser_nm=NM, the laser",
            "import it again with --laser-nm NM, the laser",
        ),
        ("laser_nm=5000.0: not a Raman laser", "--laser-nm 5000.0: not a Raman laser"),
        ("(name='NAME', or a manifest row)", "(--name NAME, or a manifest row)"),
        ("name it so (name='Cocaine base')", "name it so (--name 'Cocaine base')"),
        ('name it so (name="it\'s")', "name it so (--name 'it'\"'\"'s')"),
        # a file named so is not an argument
        ("/data/name=1.spc: no such file", "/data/name=1.spc: no such file"),
        ("the substance's name", "the substance's name"),
    ],
)
def test_an_argument_is_said_as_its_option(python, command_line):
    assert with_command_line_options(python) == command_line


def test_a_call_on_files_is_said_as_its_command_quoted_as_a_shell_reads_it():
    said = call(
        "import_spectra",
        ["/my data/it's.txt", "/data/b.txt"],
        argument("library_dir", "/lib 2"),
        argument("source", "ATR, lab 3"),
        argument("y_unit", as_typed="UNIT"),
        argument("force"),
    )
    assert said == (
        "`import_spectra([\"/my data/it's.txt\", '/data/b.txt'], library_dir='/lib 2', "
        "source='ATR, lab 3', y_unit=UNIT, force=True)`"
    )
    assert with_command_line_options(f"run it again: {said}, UNIT the unit") == (
        "run it again: `forensic library import '/my data/it'\"'\"'s.txt' /data/b.txt --library "
        "'/lib 2' --source 'ATR, lab 3' --y-unit UNIT --force`, UNIT the unit"
    )
    # a file is made absolute, as a command names it; a call without arguments is the command
    assert with_command_line_options(call("import_spectra", ["a.txt"])) == (
        f"`forensic library import {Path('a.txt').resolve()}`"
    )


def test_a_call_of_a_function_without_a_command_is_refused():
    assert set(FUNCTION_COMMANDS) == {"import_spectra"}
    with pytest.raises(KeyError, match="scan: no command said for this function"):
        call("scan", ["a.txt"])
    with pytest.raises(ValueError, match="import_spectra: no file to call it on"):
        call("import_spectra", [])
    with pytest.raises(ValueError, match="case='C-1': not an argument as argument"):
        call("import_spectra", ["a.txt"], "case='C-1'")


def test_every_function_a_message_calls_is_its_command_and_takes_the_files_first():
    """A call's files are its first argument, and the command's arguments (call())."""
    functions = {function.__name__: (function, path) for function, path in SPOKEN_FOR}
    for name, path in FUNCTION_COMMANDS.items():
        function, spoken = functions[name]
        assert path == spoken
        assert next(iter(inspect.signature(function).parameters)) == "paths"


def test_an_output_that_exists_is_told_as_the_argument_of_the_function_called():
    assert not_overwritten("lib.flib") == (
        "lib.flib: already exists; not overwritten (pass overwrite=True to replace it)"
    )
    assert not_overwritten("out", replace="force=True") == (
        "out: already exists; not overwritten (pass force=True to replace it)"
    )


def test_identify_json_error_says_the_option(capsys):
    _say_error("a.spc", ForensicError("a.spc: pass overwrite=True to replace it"), as_json=True)
    said = capsys.readouterr()
    assert said.err == "error: a.spc: use --force to replace it\n"
    assert json.loads(said.out) == {"file": "a.spc", "error": "a.spc: use --force to replace it"}
