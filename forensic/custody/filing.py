"""Records filed in error: an exhibit whose records were filed under the wrong number.

Records are never changed or deleted, so what a scan given a mistyped case number
(``2026-0421`` for ``2026-0412``), or the wrong exhibit number, recorded stays where it was
filed. What can be recorded is that it was filed in error: a label of the exhibit that
corrects its current label (as ``exhibit add --corrects`` does), the same in every field,
which also states ``filed_in_error`` (1), why (``filed_in_error_reason``) and, where known,
the case and exhibit its records belong to (``see_case_number``, ``see_item_number``). It
is signed and chained as every record is, and travels in bundles and verifies with the
exhibit's other labels. A marking made on the wrong exhibit is withdrawn in the same way: a
label stating ``filed_in_error`` 0, and why.

The marking covers every record of the exhibit (its labels, custody, measurements, results
and reports): what a mistyped number files under it is all of them. While it is in force,
nothing more is recorded under the number as of an exhibit in hand: a scan and a new
hand-over (``custody add``) are refused before anything is recorded
(:func:`refuse_if_filed_in_error`), naming where the records belong. A correction of its label
keeps the marking; its reports still issue, and say on page 1 that it is filed in error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forensic.commands import PLACEHOLDER, command
from forensic.custody import chain
from forensic.custody.statements import one_spaced, statement_key
from forensic.custody.store import Store, as_label, utc_when
from forensic.errors import CustodyError

__all__ = [
    "MARKING_COLUMNS",
    "FiledInErrorError",
    "Marking",
    "filed_in_error",
    "is_marking",
    "mark_filed_in_error",
    "marking_said",
    "markings",
    "refuse_if_filed_in_error",
    "withdraw_filed_in_error",
]

MARKING_COLUMNS = ("filed_in_error", "filed_in_error_reason", "see_case_number", "see_item_number")
"""The columns of an exhibit's label that state it is filed in error (schema 4): what a
marking or its withdrawal changes, and nothing else of the label."""


class FiledInErrorError(CustodyError):
    """What was asked would record under an exhibit whose records are marked filed in error
    (or mark one again, or withdraw a marking not in force); nothing was recorded."""


@dataclass(frozen=True)
class Marking:
    """A label of an exhibit that marks its records filed in error, or withdraws that mark.

    Attributes
    ----------
    filed_in_error : bool
        True for a marking; False for the withdrawal of the marking before it.
    reason : str
        Why, as stated.
    see_case_number, see_item_number : str or None
        Where the exhibit's records belong (a marking that names it); None otherwise.
    record : int
        The label record that states it: its position in its chain.
    record_hash : str
        That record's hash.
    chain_id : str
        That record's chain.
    signed_by : str
        Who signed it.
    key_fingerprint : str
        The fingerprint of the key that signed it.
    recorded_at : str
        When it was recorded (ISO 8601, UTC).
    """

    filed_in_error: bool
    reason: str
    see_case_number: str | None
    see_item_number: str | None
    record: int
    record_hash: str
    chain_id: str
    signed_by: str
    key_fingerprint: str
    recorded_at: str

    @classmethod
    def of(cls, label: Mapping[str, Any]) -> Marking:
        """The marking (or withdrawal) a label record states.

        Parameters
        ----------
        label : mapping
            An ``exhibits`` record whose ``filed_in_error`` is 0 or 1.

        Returns
        -------
        Marking
        """
        return cls(
            filed_in_error=bool(label["filed_in_error"]),
            reason=str(label.get("filed_in_error_reason") or ""),
            see_case_number=label.get("see_case_number"),
            see_item_number=label.get("see_item_number"),
            record=label["seq"],
            record_hash=label["hash"],
            chain_id=label["chain_id"],
            signed_by=label["signer"],
            key_fingerprint=label["key_fingerprint"],
            recorded_at=label["recorded_at"],
        )

    def belongs(self) -> str | None:
        """Where the records belong, in words.

        Returns
        -------
        str or None
            ``case 2026-0412, exhibit A1``; None when the marking names no place.
        """
        if not self.see_case_number:
            return None
        return f"case {self.see_case_number}, exhibit {self.see_item_number}"

    def stated(self) -> str:
        """The marking in one sentence, as the screens say it (:func:`marking_said`).

        Returns
        -------
        str
            ``FILED IN ERROR: case number mistyped (marked by Ann Example at 2026-11-24
            10:02:00Z, label record #31); its records belong to case 2026-0412, exhibit A1``,
            or, for a withdrawal, ``FILED IN ERROR withdrawn: marked the wrong exhibit (by
            ..., label record #33)``.
        """
        said = marking_said(self.as_content())
        if not self.filed_in_error:
            return f"FILED IN ERROR withdrawn: {said}"
        return f"FILED IN ERROR: {said}"

    def change(self) -> str:
        """What the label that states the marking changed, as a list of corrections says it
        (which names the record, who and when already).

        Returns
        -------
        str
            ``marked FILED IN ERROR: case number mistyped; its records belong to case
            2026-0412, exhibit A1``, or ``FILED IN ERROR withdrawn: marked the wrong
            exhibit``.
        """
        if not self.filed_in_error:
            return f"FILED IN ERROR withdrawn: {self.reason}"
        belongs = self.belongs()
        return f"marked FILED IN ERROR: {self.reason}" + (
            f"; its records belong to {belongs}" if belongs else ""
        )

    def as_content(self) -> dict[str, Any]:
        """The marking as a report's signed content holds it.

        Returns
        -------
        dict
            Every attribute, by name.
        """
        return {
            "filed_in_error": self.filed_in_error,
            "reason": self.reason,
            "see_case_number": self.see_case_number,
            "see_item_number": self.see_item_number,
            "record": self.record,
            "record_hash": self.record_hash,
            "signed_by": self.signed_by,
            "key_fingerprint": self.key_fingerprint,
            "recorded_at": self.recorded_at,
        }


def marking_said(marking: Mapping[str, Any]) -> str:
    """What a marking (or its withdrawal) says after ``FILED IN ERROR:``: why, who marked it
    when, and where the records belong. One wording for the screens and the reports.

    Parameters
    ----------
    marking : mapping
        :meth:`Marking.as_content` (as a report's content holds it).

    Returns
    -------
    str
        ``case number mistyped (marked by Ann Example at 2026-11-24 10:02:00Z, label record
        #31); its records belong to case 2026-0412, exhibit A1``; a withdrawal says ``by``.
    """
    verb = "marked by" if marking["filed_in_error"] else "by"
    said = (
        f"{marking['reason']} ({verb} {marking['signed_by']} at "
        f"{utc_when(marking['recorded_at'])}, label record #{marking['record']})"
    )
    if marking["filed_in_error"] and marking.get("see_case_number"):
        said += (
            f"; its records belong to case {marking['see_case_number']}, exhibit "
            f"{marking['see_item_number']}"
        )
    return said


def is_marking(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> bool:
    """Whether a label record that corrects another marks the exhibit filed in error, or
    withdraws that marking: what it changes is in :data:`MARKING_COLUMNS`.

    Parameters
    ----------
    earlier, later : mapping
        The label corrected and the label that corrects it (store rows; a store read as it
        is, of a schema before 4, lacks the columns: nothing is a marking there).

    Returns
    -------
    bool
    """
    return any(earlier.get(column) != later.get(column) for column in MARKING_COLUMNS)


def _labels(store: Store, case_number: str, item_number: str) -> list[dict[str, Any]]:
    """The exhibit's current label and every label it corrects, oldest first."""
    current = store.get_exhibit(case_number, item_number)
    labels = []
    while current is not None:
        labels.append(current)
        earlier = current.get("corrects")
        found = store.query("SELECT * FROM exhibits WHERE hash = ?", (earlier,)) if earlier else []
        current = found[0] if found else None
    return labels[::-1]


def markings(store: Store, case_number: str, item_number: str) -> list[Marking]:
    """Each marking of an exhibit's records as filed in error, and each withdrawal of one, in
    the order they were recorded.

    Parameters
    ----------
    store : Store
        The evidence store (read only is enough).
    case_number, item_number : str
        The exhibit.

    Returns
    -------
    list of Marking
        The labels of the exhibit's current label and those it corrects that change whether
        it is filed in error, why or where its records belong; empty for an exhibit never
        marked, or not in the store.
    """
    found = []
    before: tuple[Any, ...] = (None,) * len(MARKING_COLUMNS)
    for label in _labels(store, as_label(case_number), as_label(item_number)):
        state = tuple(label.get(column) for column in MARKING_COLUMNS)
        if state != before and label.get("filed_in_error") is not None:
            found.append(Marking.of(label))
        before = state
    return found


def filed_in_error(store: Store, case_number: str, item_number: str) -> Marking | None:
    """The marking of an exhibit's records as filed in error that is in force.

    Parameters
    ----------
    store : Store
        The evidence store (read only is enough).
    case_number, item_number : str
        The exhibit.

    Returns
    -------
    Marking or None
        The last marking, when no withdrawal followed it; None otherwise.
    """
    found = markings(store, case_number, item_number)
    return found[-1] if found and found[-1].filed_in_error else None


def refuse_if_filed_in_error(
    store: Store,
    case_number: str,
    item_number: str,
    *,
    instead: str | None = None,
    operator: str | None = None,
) -> None:
    """Refuse to record under an exhibit whose records are marked filed in error: a scan or a
    hand-over recorded there files one more record under the wrong number, the same mistake
    again (a case number typed from the shell's history, a label misread again).

    Parameters
    ----------
    store : Store
        The evidence store.
    case_number, item_number : str
        The exhibit.
    instead : str, optional
        What to do instead, in words (the command to run on the exhibit the records belong
        to); default: record it there.
    operator : str, optional
        Who was recording: the command that withdraws the marking signs as they do, so that
        pasted in a terminal where ``FORENSIC_OPERATOR`` is not set it is not refused.

    Raises
    ------
    FiledInErrorError
        The exhibit is marked so: naming the marking, where the records belong, what to do
        instead, and how a marking made by mistake is withdrawn; nothing was recorded.
    """
    marking = filed_in_error(store, case_number, item_number)
    if marking is None:
        return
    belongs = marking.belongs()
    if instead is None:
        instead = f"record it under {belongs}" if belongs else "record it where it belongs"
    withdraw = command(
        "exhibit",
        "filed-in-error",
        as_label(case_number),
        as_label(item_number),
        withdraw=True,
        reason=PLACEHOLDER,
        store=store.db_path,
        operator=operator,
    )
    raise FiledInErrorError(
        f"exhibit {as_label(item_number)} of case {as_label(case_number)}: {marking.stated()}. "
        f"{instead[:1].upper()}{instead[1:]}. Nothing was recorded. If the marking itself is "
        f"the mistake, withdraw it: {withdraw}, saying why"
    )


def _relabel(
    store: Store, exhibit: Mapping[str, Any], marking: Mapping[str, Any], *, operator: str
) -> dict[str, Any]:
    """Record the label that corrects ``exhibit`` (its current label) with ``marking``'s
    columns, every other field as it is."""
    fields = {column: exhibit.get(column) for column in chain.CHAINED_TABLES["exhibits"]}
    fields["case_hash"] = store.require_case(exhibit["case_number"])["hash"]  # as a correction
    fields.update(marking)
    return store.append("exhibits", fields, operator=operator, corrects=exhibit["hash"])


def _reason(reason: str | None) -> str:
    stated = one_spaced(reason or "")
    if not stated:
        raise FiledInErrorError(
            "no reason given: say why (e.g. --reason 'case number mistyped: 2026-0412'); it is "
            "signed with the marking and printed on every report of the exhibit. Nothing was "
            "recorded"
        )
    return stated


def mark_filed_in_error(
    store: Store,
    case_number: str,
    item_number: str,
    *,
    operator: str,
    reason: str,
    see_case_number: str | None = None,
    see_item_number: str | None = None,
) -> dict[str, Any]:
    """Record that an exhibit's records were filed in error: a signed label that corrects its
    current label, the same in every field, marking it so, with why and where they belong.

    Nothing is changed or deleted: every record of the exhibit stays as it was recorded.

    Parameters
    ----------
    store : Store
        The evidence store, to record in.
    case_number, item_number : str
        The exhibit filed in error (as recorded, or as :meth:`Store.require_exhibit` finds it).
    operator : str
        Who signs the marking.
    reason : str
        Why (one-spaced; blank is refused).
    see_case_number, see_item_number : str, optional
        The case and exhibit its records belong to: one given alone names the exhibit of the
        same number in that case, or the exhibit of that number in the same case. Neither: the
        marking names no place (a test sample, an item of no case).

    Returns
    -------
    dict
        The label record that marks it.

    Raises
    ------
    FiledInErrorError
        A blank reason; the place named is this exhibit, or is marked filed in error itself;
        the exhibit is marked so already, for the same reason and place. Nothing is recorded.
    CustodyError
        The exhibit, or the one where its records belong, is not in the store (naming those
        that are); the clock or the store refuses to record.
    """
    reason = _reason(reason)
    with store.transaction():
        exhibit = store.require_exhibit(case_number, item_number)
        case_number, item_number = exhibit["case_number"], exhibit["item_number"]
        see = None
        if see_case_number or see_item_number:
            see_case = as_label(see_case_number) or case_number
            see_item = as_label(see_item_number) or item_number
            try:
                target = store.require_exhibit(see_case, see_item)
            except CustodyError as exc:
                raise FiledInErrorError(
                    f"where its records belong is not in this store: {exc}. Label it first "
                    "(forensic exhibit add), or leave --see-case and --see-exhibit out; "
                    "nothing was recorded"
                ) from None
            see = target["case_number"], target["item_number"]
            if see == (case_number, item_number):
                raise FiledInErrorError(
                    f"--see-case and --see-exhibit name exhibit {item_number} of case "
                    f"{case_number} itself: name the exhibit its records belong to; nothing "
                    "was recorded"
                )
            target_marking = filed_in_error(store, *see)
            if target_marking is not None:
                raise FiledInErrorError(
                    f"exhibit {see[1]} of case {see[0]}, where its records would belong, is "
                    f"marked {target_marking.stated()}: name the exhibit they belong to; "
                    "nothing was recorded"
                )
        current = filed_in_error(store, case_number, item_number)
        if (
            current is not None
            and statement_key(current.reason) == statement_key(reason)
            and (current.see_case_number, current.see_item_number) == (see or (None, None))
        ):
            raise FiledInErrorError(
                f"exhibit {item_number} of case {case_number} is already marked "
                f"{current.stated()}; nothing was recorded"
            )
        return _relabel(
            store,
            exhibit,
            {
                "filed_in_error": 1,
                "filed_in_error_reason": reason,
                "see_case_number": see[0] if see else None,
                "see_item_number": see[1] if see else None,
            },
            operator=operator,
        )


def withdraw_filed_in_error(
    store: Store, case_number: str, item_number: str, *, operator: str, reason: str
) -> dict[str, Any]:
    """Withdraw the marking of an exhibit's records as filed in error, made by mistake (on the
    wrong exhibit): a signed label that corrects its current label, the same in every field,
    stating that it is not filed in error, and why. The marking stays on record.

    Parameters
    ----------
    store : Store
        The evidence store, to record in.
    case_number, item_number : str
        The exhibit.
    operator : str
        Who signs the withdrawal.
    reason : str
        Why (one-spaced; blank is refused).

    Returns
    -------
    dict
        The label record that withdraws the marking.

    Raises
    ------
    FiledInErrorError
        A blank reason, or no marking in force; nothing is recorded.
    CustodyError
        The exhibit is not in the store; the clock or the store refuses to record.
    """
    reason = _reason(reason)
    with store.transaction():
        exhibit = store.require_exhibit(case_number, item_number)
        if filed_in_error(store, exhibit["case_number"], exhibit["item_number"]) is None:
            raise FiledInErrorError(
                f"exhibit {exhibit['item_number']} of case {exhibit['case_number']} is not "
                "marked filed in error: there is no marking to withdraw; nothing was recorded"
            )
        return _relabel(
            store,
            exhibit,
            {
                "filed_in_error": 0,
                "filed_in_error_reason": reason,
                "see_case_number": None,
                "see_item_number": None,
            },
            operator=operator,
        )
