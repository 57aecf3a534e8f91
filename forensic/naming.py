"""Names of substances: when two names are the same substance.

Pure and import-free, so that the evidence (:mod:`forensic.verdict`), the search's grouping
of hits (:meth:`forensic.library.Library.substances`) and the curation tools all decide it the
same way without depending on one another.
"""

from __future__ import annotations

import re

__all__ = ["substance_key"]


def substance_key(name: str) -> str:
    """The key that makes two entries the same substance: its letters (of any script) and
    digits, lower-case ("Cocaine HCl" and "cocaine-hcl" are one; "Metkatinon ž" and
    "Metkatinon š" are two)."""
    return re.sub(r"[\W_]", "", str(name).lower()) or str(name)
