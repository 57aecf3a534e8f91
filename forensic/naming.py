"""Names of substances: when two names are the same substance.

Pure and import-free, so that the evidence (:mod:`forensic.verdict`), the search's grouping
of hits (:meth:`forensic.library.Library.substances`) and the curation tools all decide it the
same way without depending on one another.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["substance_key"]


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
