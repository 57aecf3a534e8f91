"""Wording shared by the benchmarks' output."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun, singular for exactly one: ``1 hit``, ``2 hits``, ``0 queries``.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The noun in the singular.
    plural : str, optional
        The plural where it is not ``noun + "s"`` (``"queries"``, ``"mixtures"`` needs none).
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
