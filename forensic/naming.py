"""Names and numbers: when two names are the same substance, and how a number prints.

Pure and import-free, so that the evidence (:mod:`forensic.verdict`), the search's grouping
of hits (:meth:`forensic.library.Library.substances`) and the curation tools all decide it the
same way without depending on one another; and so that the store, the workflows and the
command line read a case, exhibit or seal number as a person reads it on paper
(:func:`read_as_latin`) and say the same of one that holds letters of another script that
print like Latin ones (:func:`lookalike_note`), as a note or a WARNING alike
(:func:`lookalike_remarks`). A substance's name is read the same way: two names that print
alike (:func:`printed_key`) are one name on a report, and a word typed on a keyboard set to
another layout for a letter (:func:`mixed_words`) is another word to every search; a name that
leaves out the salt of the library's substance it would join is not that substance
(:func:`unstated_salt`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "LookalikeRemark",
    "latin_lookalikes",
    "lookalike_note",
    "lookalike_notes",
    "lookalike_remarks",
    "mixed_words",
    "mixes_scripts",
    "nearest_number",
    "printed_key",
    "read_as_latin",
    "slips_apart",
    "substance_key",
    "typing_slip",
    "unstated_salt",
]


def substance_key(name: str) -> str:
    """The key that makes two entries the same substance.

    Its letters (of any script) and digits, after Unicode NFKC normalisation and case folding:
    "Cocaine HCl" and "cocaine-hcl" are one, as are the full-width "ＣＯＣＡＩＮＥ" of an East
    Asian keyboard and "cocaine", "Δ⁹-THC" and "Δ9-THC", and a name whose accents are written
    as separate combining marks and the same name precomposed; "Metkatinon ž" and
    "Metkatinon š" are two. For names in ASCII the key is what it was before normalisation was
    added: letters and digits, lower-case.

    Parameters
    ----------
    name : str
        A substance's name or synonym.

    Returns
    -------
    str
        The key; ``name`` itself when it holds no letter or digit. A library file stores no
        keys (they are computed when it is loaded), so one saved before loads and groups its
        entries by this rule; only the entry id made up for a reference that its manifest
        gives none (``{modality}-{key}``) is derived from a key and stored.
    """
    key = re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", str(name)).casefold())
    return key or str(name)


_LATIN_LOOKALIKES = {
    # Greek
    "\u037f": "J",  # Ϳ capital yot
    "\u0391": "A",  # Α alpha
    "\u0392": "B",  # Β beta
    "\u0395": "E",  # Ε epsilon
    "\u0396": "Z",  # Ζ zeta
    "\u0397": "H",  # Η eta
    "\u0399": "I",  # Ι iota
    "\u039a": "K",  # Κ kappa
    "\u039c": "M",  # Μ mu
    "\u039d": "N",  # Ν nu
    "\u039f": "O",  # Ο omicron
    "\u03a1": "P",  # Ρ rho
    "\u03a4": "T",  # Τ tau
    "\u03a5": "Y",  # Υ upsilon
    "\u03a7": "X",  # Χ chi
    "\u03b1": "a",  # α alpha
    "\u03b3": "y",  # γ gamma
    "\u03b9": "i",  # ι iota
    "\u03ba": "K",  # κ kappa (UTS #39: kra, a small capital K)
    "\u03bd": "v",  # ν nu
    "\u03bf": "o",  # ο omicron
    "\u03c1": "p",  # ρ rho
    "\u03c3": "o",  # σ sigma
    "\u03c5": "u",  # υ upsilon
    "\u03dc": "F",  # Ϝ digamma
    "\u03f2": "c",  # ϲ lunate sigma (NFKC makes it ς, which looks like no Latin letter)
    "\u03f3": "j",  # ϳ yot
    "\u03f9": "C",  # Ϲ capital lunate sigma (NFKC makes it Σ)
    "\u03fa": "M",  # Ϻ san
    # Cyrillic
    "\u0405": "S",  # Ѕ dze
    "\u0406": "I",  # І Byelorussian-Ukrainian i
    "\u0408": "J",  # Ј je
    "\u0410": "A",  # А a
    "\u0412": "B",  # В ve
    "\u0415": "E",  # Е ie
    "\u0417": "3",  # З ze
    "\u041a": "K",  # К ka
    "\u041c": "M",  # М em
    "\u041d": "H",  # Н en
    "\u041e": "O",  # О o
    "\u0420": "P",  # Р er
    "\u0421": "C",  # С es
    "\u0422": "T",  # Т te
    "\u0423": "Y",  # У u
    "\u0425": "X",  # Х ha
    "\u042c": "b",  # Ь soft sign
    "\u0430": "a",  # а a
    "\u0431": "6",  # б be
    "\u0432": "B",  # в ve (UTS #39: a small capital B)
    "\u0433": "r",  # г ghe
    "\u0435": "e",  # е ie
    "\u043a": "K",  # к ka (UTS #39: kra, a small capital K)
    "\u043c": "M",  # м em (a small capital M)
    "\u043d": "H",  # н en (UTS #39: a small capital H)
    "\u043e": "o",  # о o
    "\u0440": "p",  # р er
    "\u0441": "c",  # с es
    "\u0442": "T",  # т te (UTS #39: a small capital T)
    "\u0443": "y",  # у u
    "\u0445": "x",  # х ha
    "\u0455": "s",  # ѕ dze
    "\u0456": "i",  # і Byelorussian-Ukrainian i
    "\u0458": "j",  # ј je
    "\u0461": "w",  # ѡ omega
    "\u0474": "V",  # Ѵ izhitsa
    "\u0475": "v",  # ѵ izhitsa
    "\u04ae": "Y",  # Ү straight u
    "\u04af": "y",  # ү straight u
    "\u04bb": "h",  # һ shha
    "\u04bd": "e",  # ҽ Abkhasian che
    "\u04c0": "I",  # Ӏ palochka
    "\u04cf": "i",  # ӏ small palochka
    "\u04e0": "3",  # Ӡ Abkhasian dze
    "\u0501": "d",  # ԁ Komi de
    "\u050c": "G",  # Ԍ Komi sje
    "\u051b": "q",  # ԛ qa
    "\u051c": "W",  # Ԝ we
    "\u051d": "w",  # ԝ we
}
"""Letters of the Greek and Cyrillic scripts that print like a Latin letter or a digit, and
the one they print like.

Taken from Unicode's confusables data (UTS #39, *Unicode Security Mechanisms*,
``confusables.txt``, as of Unicode 15.1): every Greek letter (U+0370-U+03FF) and Cyrillic
letter (U+0400-U+052F) that it pairs with one ASCII letter or digit, in the letter case it
prints in (UTS #39 gives ``l`` for the capitals that print like I, which are named I here).
Added: the lower-case Cyrillic в к м н т and Greek κ, which print as small capitals of B, K,
M, H, T (UTS #39 pairs them with ʙ, ĸ, ʍ, ʜ, ᴛ), and read as those letters where letter case
is set aside. Those two scripts only: they are the ones the keyboards of the units that use
this toolkit switch to, a Latin look-alike a key away. Symbols that NFKC makes letters (ϒ, ϱ,
the mathematical alphanumerics) are read through NFKC (:func:`read_as_latin`).

A table of its own, checked letter by letter against the report's font (DejaVu Sans), rather
than a package's copy of the whole data: no installed or maintained package offers it
offline to this toolkit without a new dependency, and the whole data also reads ``rn`` as
``m`` and maps hundreds of symbols, so that which numbers are twins would change with each
release of it, while a store's numbers must read next year as they read today."""

_LOOKALIKE_TABLE = str.maketrans(_LATIN_LOOKALIKES)


def read_as_latin(text: str) -> str:
    """``text`` as a reader copies it from paper: letters of another script that print like a
    Latin letter or a digit read as that one.

    The Greek and Cyrillic letters that Unicode's confusables data (UTS #39) gives a Latin
    letter or a digit as look-alike: Cyrillic "ЗАК-2026" reads "3AK-2026", Greek "ΡΟ-1"
    reads "PO-1". As in UTS #39's skeleton, the letters are read whatever marks they carry
    (Cyrillic Ё reads as Latin Ë) and after NFKC normalisation (a full-width or mathematical
    letter reads as the letter). Letter case, spaces and punctuation are kept: whether they
    matter is for the caller to say.

    Parameters
    ----------
    text : str
        A case, exhibit or seal number, or any text a person copies by hand.

    Returns
    -------
    str
        The text in NFKC normalisation with its look-alike letters replaced; ``text``
        normalised alone when it holds none (any ASCII text is returned as it is).

    Examples
    --------
    >>> read_as_latin("\\u0417\\u0410\\u041a-2026")  # Cyrillic З, А, К
    '3AK-2026'
    """
    # the table before NFKD too: NFKD makes the lunate sigmas ϲ, Ϲ (which print like c, C)
    # final and capital sigma ς, Σ (which do not)
    spelled = unicodedata.normalize("NFKD", text.translate(_LOOKALIKE_TABLE))
    return unicodedata.normalize("NFKC", spelled.translate(_LOOKALIKE_TABLE))


def _script(letter: str) -> str | None:
    """The script of a letter, in the words of its Unicode name ("LATIN", "CYRILLIC",
    "GREEK", "CJK", ...), read through NFKD (a full-width A is Latin); None for a character
    that is not a letter, or a modifier letter, which belongs to none."""
    if not unicodedata.category(letter).startswith("L") or unicodedata.category(letter) == "Lm":
        return None
    base = unicodedata.normalize("NFKD", letter)[:1] or letter
    words = unicodedata.name(base, "").split()
    return words[0] if words else None


def latin_lookalikes(text: str) -> list[tuple[str, str, str]]:
    """The letters of ``text`` in another script than Latin that print like a Latin letter or
    a digit (:func:`read_as_latin`).

    Parameters
    ----------
    text : str
        A case, exhibit or seal number.

    Returns
    -------
    list of (str, str, str)
        For each such letter, once, in the order of its first appearance: the letter as
        typed, its script ("Cyrillic", "Greek") and what it prints like ("3", "A", "Ë").
        Empty for a number with none (a number in Latin letters and digits).

    Examples
    --------
    >>> latin_lookalikes("\\u0417\\u0410\\u041a-2026")
    [('З', 'Cyrillic', '3'), ('А', 'Cyrillic', 'A'), ('К', 'Cyrillic', 'K')]
    """
    found = []
    for letter in dict.fromkeys(text):
        script = _script(letter)
        if script in (None, "LATIN"):
            continue
        latin = read_as_latin(letter)
        if latin != unicodedata.normalize("NFKC", letter):
            found.append((letter, script.capitalize(), latin))
    return found


def mixes_scripts(text: str) -> bool:
    """Whether ``text`` holds a letter that prints like a Latin letter or a digit
    (:func:`latin_lookalikes`) among letters of another script.

    "DEMО-1" with a Cyrillic О among Latin letters does, as does "ЗАК-2026 THC"; "ЗАК-2026"
    (Cyrillic letters and digits) and "ΑΒ-Δ9" (Greek letters alone) do not: a unit that
    writes its numbers in its own script writes them whole, while a mix is almost always a
    keyboard set to another layout for a letter or two. Digits, spaces and punctuation
    belong to no script.

    Parameters
    ----------
    text : str
        A case, exhibit or seal number.

    Returns
    -------
    bool
    """
    scripts = {_script(letter) for letter in text} - {None}
    return len(scripts) > 1 and bool(latin_lookalikes(text))


def lookalike_note(text: str, what: str, *, kind: str = "number") -> str | None:
    """What to say of a number that holds letters of another script that print like Latin
    letters or digits: which, with their code points, and how the number reads on paper.

    Parameters
    ----------
    text : str
        The number, as typed.
    what : str
        What it is, as the sentence begins: ``"case number"``, ``"seal number"``.
    kind : str, default "number"
        What the text is, as the note ends ("typed so it is another number"): ``"name"`` for
        a substance's name or synonym.

    Returns
    -------
    str or None
        One sentence (no full stop), e.g. "case number 'ЗАК-2026' contains Cyrillic З
        (U+0417), А (U+0410), К (U+041A), which print like Latin 3, A, K: on paper it reads
        '3AK-2026', and typed so it is another number"; where the number mixes scripts
        (:func:`mixes_scripts`) it says so, with the letters of the other scripts. None when
        the number holds no such letter.
    """
    found = latin_lookalikes(text)
    if not found:
        return None
    verb = "prints" if len(found) == 1 else "print"
    said = (
        f"{what} {text!r} contains {_named(found)}, which {verb} like Latin "
        f"{', '.join(latin for _, _, latin in found)}: on paper it reads "
        f"{read_as_latin(text)!r}, and typed so it is another {kind}"
    )
    if mixes_scripts(text):
        own = {script for _, script, _ in found}
        others = [
            (letter, _script(letter).capitalize(), letter)
            for letter in dict.fromkeys(text)
            if _script(letter) and _script(letter).capitalize() not in own
        ]
        mixed = (
            f"them with {_named(others, code_points=False)}"
            if others
            else f"{' and '.join(sorted(own))} letters"
        )
        said += f"; it mixes {mixed}: almost always a keyboard set to another layout"
    return said


def mixed_words(text: str) -> list[str]:
    """The words of ``text`` that mix scripts (:func:`mixes_scripts`), each once.

    A name is read word by word: a Greek letter that stands alone as a word of a chemical
    name ("α-PVP", "Δ9-THC", "γ-butyrolactone") is the chemist's, while one letter of
    another script inside a word ("Сocaine" with a Cyrillic С) is almost always a keyboard
    set to another layout. A word is a run of letters (digits, spaces and punctuation end it).

    Parameters
    ----------
    text : str
        A substance's name or synonym.

    Returns
    -------
    list of str
        The words that mix scripts, in the order of their first appearance; empty when none
        does.
    """
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text))
    return [word for word in dict.fromkeys(words) if mixes_scripts(word)]


def printed_key(name: str) -> str:
    """The :func:`substance_key` of a name as it reads on paper (:func:`read_as_latin`).

    Two names whose :func:`substance_key` differ but whose printed keys are equal
    ("Cocaine hydrochloride", and the same with a Cyrillic С) print exactly alike on a report
    or a screen: no reader can tell which is meant, and neither finds the other.

    Parameters
    ----------
    name : str
        A substance's name or synonym.

    Returns
    -------
    str
        The key; that of ``name`` itself when it holds no look-alike letter.
    """
    return substance_key(read_as_latin(name))


_SALT_WORDS = {
    "hydrochloride": ("hcl",),
    "dihydrochloride": ("2hcl", "dihcl"),
    "hydrobromide": ("hbr",),
    "hydroiodide": ("hi",),
    "sulfate": ("sulphate", "h2so4"),
    "hemisulfate": ("hemisulphate",),
    "bisulfate": ("bisulphate",),
    "phosphate": (),
    "citrate": (),
    "tartrate": (),
    "bitartrate": (),
    "fumarate": (),
    "maleate": (),
    "oxalate": (),
    "acetate": (),
    "mesylate": ("mesilate", "methanesulfonate"),
    "succinate": (),
    "nitrate": (),
}
"""The counter-ions a salt form names, each with the other ways a name writes it: the
acid-addition salts of the drugs and cutting agents a library holds. A form that names none
(``base``, ``neutral compound``, ``monohydrate``, ``inorganic salt``) is no salt of a base
that its bare name could be taken for."""


def unstated_salt(name: str, salt_form: str) -> str | None:
    """The salt of ``salt_form`` that ``name`` does not state, or None.

    "Methamphetamine" does not state the hydrochloride of "Methamphetamine hydrochloride"
    (salt form ``hydrochloride``), while "methamphetamine HCl" and "metamfetamine
    hydrochloride" do. A base and its salt are two substances with two spectra, CAS numbers
    and, often, legal notes: a spectrum named by the bare name is not known to be the salt's.

    Parameters
    ----------
    name : str
        The name a spectrum is given.
    salt_form : str
        The salt form of the library's substance the name would join (its ``salt_form``
        column: ``hydrochloride``, ``hydrochloride (monohydrate)``, ``base``, ...).

    Returns
    -------
    str or None
        The salt (``"hydrochloride"``) when the salt form names a counter-ion
        (:data:`_SALT_WORDS`) that the name does not, in any of its spellings; None when it
        does, or when the salt form names none (a base, a neutral compound).
    """
    words = set(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", name).casefold()))
    for salt in re.findall(r"[^\W_]+", salt_form.casefold()):
        spellings = _SALT_WORDS.get(salt)
        if spellings is not None and not words & {salt, *spellings}:
            return salt
    return None


def lookalike_notes(*numbers: tuple[str, str], kind: str = "number") -> str:
    """The :func:`lookalike_note` of each number that has one, in one text: what a message
    that names two numbers which read alike adds, so that they do not look like one number.

    Parameters
    ----------
    *numbers : (str, str)
        Each number, as typed, and what it is as its sentence begins (``("ЗАК-1", "the case
        number given")``).
    kind : str, default "number"
        What the texts are (:func:`lookalike_note`): ``"name"`` for substances' names.

    Returns
    -------
    str
        The notes, in the order given, joined by ``"; "``; empty when no number holds a
        letter of another script that prints like a Latin one.
    """
    return "; ".join(
        note for text, what in numbers if (note := lookalike_note(text, what, kind=kind))
    )


class LookalikeRemark(NamedTuple):
    """What to say of a number just recorded that holds letters of another script that print
    like Latin ones, and how loud (:func:`lookalike_remarks`).

    Attributes
    ----------
    warning : bool
        Whether it is a WARNING: the number mixes scripts (:func:`mixes_scripts`), almost
        always a keyboard set to another layout. Otherwise a note: a number whole in its
        script, as a unit that writes its numbers in it writes them.
    note : str
        The :func:`lookalike_note`.
    """

    warning: bool
    note: str

    @property
    def line(self) -> str:
        """The remark as a line says it: ``"WARNING: ..."`` or ``"note: ..."``."""
        return f"{'WARNING' if self.warning else 'note'}: {self.note}"


def lookalike_remarks(*numbers: tuple[str | None, str]) -> list[LookalikeRemark]:
    """A remark on each number that holds letters of another script that print like Latin
    letters or digits: a note for a number whole in its script, a WARNING for one that mixes
    scripts. What the scan's progress lines and the command line's notes both say.

    Parameters
    ----------
    *numbers : (str or None, str)
        Each number, as given (the spaces a paste leaves around it are not quoted), and what
        it is as its sentence begins (``("ЗАК-1", "case number")``); a number that is None
        or blank is not remarked on.

    Returns
    -------
    list of LookalikeRemark
        In the order given, for the numbers that hold such letters only.
    """
    remarks = []
    for text, what in numbers:
        number = text.strip() if text else ""
        note = lookalike_note(number, what) if number else None
        if note:
            remarks.append(LookalikeRemark(mixes_scripts(number), note))
    return remarks


def _named(letters: list[tuple[str, str, str]], *, code_points: bool = True) -> str:
    """Letters as a note names them, each script said once before its letters: "Cyrillic З
    (U+0417), А (U+0410) and Greek Ο (U+039F)"."""
    scripts: dict[str, list[str]] = {}
    for letter, script, _ in letters:
        scripts.setdefault(script, []).append(
            f"{letter} (U+{ord(letter):04X})" if code_points else letter
        )
    named = [f"{script} {', '.join(its)}" for script, its in scripts.items()]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def _typed_characters(number: str) -> list[str]:
    """The letters and digits of a number as a reader copies it (:func:`read_as_latin`), in
    order: what a slip of the hand changes. Spaces and punctuation are no characters of it
    here (a number that differs in them alone is a twin, which the store reads as one)."""
    return [ch for ch in read_as_latin(number) if ch.isalnum()]


def typing_slip(given: str, recorded: str) -> str | None:
    """How ``given`` is ``recorded`` typed with one slip of the hand, in words; None when it
    is not.

    A slip is two neighbouring characters swapped (``2026-0421`` for ``2026-0412``), one
    character left out (``2026-042`` for ``2026-0412``) or one added (``2026-04112``).
    Characters are the letters and digits a reader copies (:func:`read_as_latin`); letter
    case, spaces and punctuation do not count. One character typed for another is no slip
    here: consecutive case numbers (``2026-0412``, ``2026-0413``) differ so.

    Parameters
    ----------
    given : str
        A number as typed (a case number a command would open).
    recorded : str
        A number the store holds.

    Returns
    -------
    str or None
        E.g. ``"'21' typed for '12'"``, ``"'1' left out"``, ``"'1' added"``; None when the
        two are the same (in those characters) or differ otherwise.

    Examples
    --------
    >>> typing_slip("2026-0421", "2026-0412")
    "'21' typed for '12'"
    >>> typing_slip("2026-0413", "2026-0412") is None
    True
    """
    typed, kept = _typed_characters(given), _typed_characters(recorded)
    fold = [ch.casefold() for ch in typed]
    folded = [ch.casefold() for ch in kept]
    if fold == folded:
        return None
    if len(fold) == len(folded):
        differ = [i for i, (a, b) in enumerate(zip(fold, folded, strict=True)) if a != b]
        if (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and fold[differ[0]] == folded[differ[1]]
            and fold[differ[1]] == folded[differ[0]]
        ):
            i = differ[0]
            return f"{''.join(typed[i : i + 2])!r} typed for {''.join(kept[i : i + 2])!r}"
        return None
    if abs(len(fold) - len(folded)) != 1:
        return None
    longer, shorter = (folded, fold) if len(folded) > len(fold) else (fold, folded)
    # where the longer one has the character the shorter lacks: the first that differs
    i = next((i for i in range(len(shorter)) if longer[i] != shorter[i]), len(shorter))
    if longer[i + 1 :] != shorter[i:]:
        return None
    if longer is folded:
        return f"{kept[i]!r} left out"
    return f"{typed[i]!r} added"


def slips_apart(one: str, other: str) -> int:
    """How many slips of the hand turn one number into the other: characters typed for
    others, left out, added, or neighbours swapped (the optimal string alignment distance),
    counted on what a reader copies, as :func:`typing_slip` counts them.

    Parameters
    ----------
    one, other : str
        Two case, exhibit or seal numbers.

    Returns
    -------
    int
        0 for numbers that differ only in letter case, spaces or punctuation.

    Examples
    --------
    >>> slips_apart("2026-0412", "2026-0413"), slips_apart("2026-0412", "2026-0421")
    (1, 1)
    """
    a = [ch.casefold() for ch in _typed_characters(one)]
    b = [ch.casefold() for ch in _typed_characters(other)]
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(
                rows[i - 1][j] + 1,
                row[j - 1] + 1,
                rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def nearest_number(given: str, numbers: list[str]) -> str | None:
    """The number of ``numbers`` the fewest slips of the hand from ``given``
    (:func:`slips_apart`), the later of those as near; None when there is none.

    Parameters
    ----------
    given : str
        A number as typed.
    numbers : list of str
        Numbers recorded, in the order they were recorded.

    Returns
    -------
    str or None

    Examples
    --------
    >>> nearest_number("2026-0413", ["DEMO-1", "2026-0412"])
    '2026-0412'
    """
    if not numbers:
        return None
    distances = [slips_apart(given, number) for number in numbers]
    nearest = min(distances)
    return [n for n, d in zip(numbers, distances, strict=True) if d == nearest][-1]
