"""How a case, exhibit or seal number prints: letters of another script that look Latin."""

from __future__ import annotations

import unicodedata

import pytest

from forensic import naming
from forensic.naming import (
    latin_lookalikes,
    lookalike_note,
    lookalike_remarks,
    mixes_scripts,
    read_as_latin,
)


def test_every_lookalike_is_a_greek_or_cyrillic_letter_read_as_one_ascii_letter_or_digit():
    for letter, latin in naming._LATIN_LOOKALIKES.items():
        assert unicodedata.category(letter).startswith("L"), letter
        assert unicodedata.name(letter).split()[0] in ("GREEK", "CYRILLIC"), letter
        assert len(latin) == 1 and latin.isascii() and latin.isalnum(), (letter, latin)


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        # the letters a printed-report review found, and those that keyboards a key away type
        ("\u0417\u0410\u041a-2026", "3AK-2026"),  # Cyrillic З А К
        ("АВЕКМНОРСТХЗІЈЅ", "ABEKMHOPCTX3IJS"),  # Cyrillic capitals
        ("аеорсхуіјѕ", "aeopcxyijs"),  # Cyrillic small letters
        ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"),  # Greek capitals
        ("ον", "ov"),  # Greek small letters
        ("Ё-1", "Ë-1"),  # a look-alike read whatever marks it carries (UTS #39's skeleton)
        ("𝚨-1", "A-1"),  # a mathematical alpha is an alpha (NFKC), so an A
        ("ϲ-1", "c-1"),  # a lunate sigma prints like c, though NFKC makes it a final sigma
        ("ЖД-Δ9/№12", "ЖД-Δ9/No12"),  # letters that look like no Latin one stay as they are
        ("S-0093 ab", "S-0093 ab"),  # ASCII is left as it is
    ],
)
def test_a_number_reads_as_it_prints(typed, printed):
    assert read_as_latin(typed) == printed


def test_the_lookalikes_of_a_number_are_named_once_each_with_their_script():
    assert latin_lookalikes("ЗАК-ЗΑ-2026") == [
        ("З", "Cyrillic", "3"),
        ("А", "Cyrillic", "A"),
        ("К", "Cyrillic", "K"),
        ("Α", "Greek", "A"),
    ]
    assert latin_lookalikes("DEMO-1 Øß") == []  # Latin letters, however accented
    assert latin_lookalikes("ΔЖ-1") == []  # letters of other scripts that look like none


@pytest.mark.parametrize(
    ("number", "mixed"),
    [
        ("DEM\u041e-1", True),  # a Cyrillic О among Latin letters: a keyboard-layout slip
        ("ЗАК-2026 THC", True),
        ("ΑЗ-1", True),  # Greek and Cyrillic
        ("ЗАК-2026", False),  # Cyrillic letters and digits: a unit's own script, whole
        ("ΑΒ-Δ9", False),  # Greek letters alone
        ("ЖД-THC", False),  # Cyrillic letters that look like no Latin one, beside Latin ones
        ("DEMO-1", False),
    ],
)
def test_a_number_mixes_scripts_when_a_lookalike_stands_among_letters_of_another(number, mixed):
    assert mixes_scripts(number) is mixed


def test_the_note_names_the_letters_their_code_points_and_what_they_print_like():
    assert lookalike_note("ЗАК-2026", "case number") == (
        "case number 'ЗАК-2026' contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which "
        "print like Latin 3, A, K: on paper it reads '3AK-2026', and typed so it is another "
        "number"
    )
    assert lookalike_note("DEM\u041e-1", "exhibit number") == (
        "exhibit number 'DEMО-1' contains Cyrillic О (U+041E), which prints like Latin O: on "
        "paper it reads 'DEMO-1', and typed so it is another number; it mixes them with Latin "
        "D, E, M: almost always a keyboard set to another layout"
    )
    assert lookalike_note("ΑЗ-1", "seal number") == (
        "seal number 'ΑЗ-1' contains Greek Α (U+0391) and Cyrillic З (U+0417), which print "
        "like Latin A, 3: on paper it reads 'A3-1', and typed so it is another number; it "
        "mixes Cyrillic and Greek letters: almost always a keyboard set to another layout"
    )
    assert lookalike_note("3AK-2026", "case number") is None


def test_a_number_whole_in_its_script_is_a_note_and_one_that_mixes_them_a_warning():
    remarks = lookalike_remarks(
        ("ЗАК-2026", "case number"),
        ("A1", "exhibit number"),  # Latin: nothing to say
        (" SЕAL-1 ", "seal number"),  # the spaces a paste leaves are not quoted
        (None, "seal number"),
    )
    assert [(remark.warning, remark.line[:30]) for remark in remarks] == [
        (False, "note: case number 'ЗАК-2026' c"),
        (True, "WARNING: seal number 'SЕAL-1' "),
    ]
    assert remarks[1].note == lookalike_note("SЕAL-1", "seal number")


def test_the_scan_and_the_command_line_say_the_same_of_the_same_numbers(capsys):
    # the scan's progress lines and the stderr notes of case new, exhibit add and custody add
    # decided note or WARNING each on its own: one place decides, both print through it
    from forensic.cli.custody import _say_lookalikes  # noqa: PLC0415
    from forensic.workflows import _lookalike_lines  # noqa: PLC0415

    numbers = (
        ("ЗАК-1", "case number"),
        ("DEMО-1", "exhibit number"),
        ("A1", "exhibit number"),
        (" Ѕ-0093", "seal number"),
        (None, "seal number"),
    )
    scan = _lookalike_lines(*numbers)
    _say_lookalikes(*numbers)
    screen = capsys.readouterr().err.splitlines()
    assert scan.split("\n        ")[1:] == screen
    assert [line.split(":")[0] for line in screen] == ["note", "WARNING", "note"]


# -- substances' names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mixed"),
    [
        ("\u0421ocaine hydrochloride", ["\u0421ocaine"]),  # a Cyrillic С typed for a C
        ("MD\u041cA", ["MD\u041cA"]),  # a Cyrillic М in a Latin word
        ("α-PVP", []),  # a Greek letter standing alone: the chemist's prefix
        ("Δ9-THC", []),
        ("γ-butyrolactone", []),
        ("Метамфетамин", []),  # a name whole in Cyrillic
        ("Cocaine hydrochloride", []),
    ],
)
def test_a_name_mixes_scripts_when_a_word_of_it_does(name, mixed):
    assert naming.mixed_words(name) == mixed


def test_two_names_that_print_alike_have_one_printed_key():
    assert naming.printed_key("\u0421ocaine HCl") == naming.printed_key("cocaine-hcl")
    assert naming.substance_key("\u0421ocaine HCl") != naming.substance_key("cocaine-hcl")
    assert naming.printed_key("Cocaine base") != naming.printed_key("Cocaine HCl")
    note = lookalike_note("\u0421ocaine", "the name given", kind="name")
    assert note.startswith("the name given 'Сocaine' contains Cyrillic С (U+0421), which prints")
    assert "and typed so it is another name;" in note


@pytest.mark.parametrize(
    ("name", "salt_form", "unstated"),
    [
        ("Methamphetamine", "hydrochloride", "hydrochloride"),
        ("crystal meth", "hydrochloride", "hydrochloride"),
        ("methamphetamine HCl", "hydrochloride", None),
        ("metamfetamine hydrochloride", "hydrochloride", None),
        ("lidocaine", "hydrochloride (monohydrate)", "hydrochloride"),
        ("hydroxyzine hydrochloride", "dihydrochloride", "dihydrochloride"),  # one HCl, not two
        ("hydroxyzine 2HCl", "dihydrochloride", None),
        ("amphetamine", "sulfate", "sulfate"),
        ("Amphetamine sulphate", "sulfate", None),
        ("crack", "base", None),  # a base is no salt of one
        ("lactose", "monohydrate", None),
        ("chalk", "inorganic salt (calcite)", None),
        ("caffeine", "", None),
    ],
)
def test_a_name_that_leaves_out_its_substance_s_salt_is_said_to(name, salt_form, unstated):
    assert naming.unstated_salt(name, salt_form) == unstated


@pytest.mark.parametrize(
    ("given", "recorded", "slip"),
    [
        ("2026-0421", "2026-0412", "'21' typed for '12'"),  # neighbours swapped
        ("2062-0412", "2026-0412", "'62' typed for '26'"),
        ("2026-042", "2026-0412", "'1' left out"),
        ("2026-04112", "2026-0412", "'1' added"),
        ("2026-04121", "2026-0412", "'1' added"),  # at the end
        ("026-0412", "2026-0412", "'2' left out"),  # at the start
        ("DEM-1", "DEMO-1", "'O' left out"),
        ("demo-12", "DEMO-1", "'2' added"),  # in any letter case
        # punctuation and spaces are no characters a slip changes
        ("2026-04-21", "2026-0412", "'21' typed for '12'"),
        # a Cyrillic О is the letter O it prints like
        ("DEM\u041e-11", "DEMO-1", "'1' added"),
    ],
)
def test_a_number_typed_with_one_slip_of_the_hand_says_which(given, recorded, slip):
    assert naming.typing_slip(given, recorded) == slip


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        ("2026-0413", "2026-0412"),  # one character for another: the next case, not a slip
        ("2026-0412", "2026-0412"),  # the same
        ("2026 0412", "2026-0412"),  # the same but for punctuation: a twin, refused as such
        ("2026-0124", "2026-0412"),  # two slips
        ("2026-04", "2026-0412"),  # two characters left out
        ("2026-0431", "2026-0412"),  # two characters changed, not swapped
        ("B-2", "A-1"),
    ],
)
def test_a_number_that_is_no_slip_of_a_recorded_one_is_not_said_to_be(given, recorded):
    assert naming.typing_slip(given, recorded) is None


def test_the_nearest_number_is_the_fewest_slips_away_and_the_latest_of_those():
    assert naming.slips_apart("2026-0412", "2026-0413") == 1
    assert naming.slips_apart("2026-0412", "2026-0421") == 1
    assert naming.slips_apart("2026-0412", "2026-0124") == 2
    assert naming.slips_apart("2026-0412", "2026 0412") == 0
    recorded = ["2026-0410", "DEMO-1", "2026-0412"]
    assert naming.nearest_number("2026-0413", recorded) == "2026-0412"  # the later of two
    assert naming.nearest_number("DEMO-2", recorded) == "DEMO-1"
    assert naming.nearest_number("2026-0413", []) is None
