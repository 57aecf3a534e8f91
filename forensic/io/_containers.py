"""Archives, compressed files and office documents: files that hold a spectrum file, or a
table, inside them, and that no reader must mistake for a format of its own.

A ZIP file starts with ``PK\\x03\\x04``: to the SPC sniffer, a version byte (0x4B) and the type
codes of a chromatogram, so an Excel workbook was refused as "an HPLC chromatogram" and a small
ZIP as "a truncated SPC file". A gzip file was "binary data" or "not a spectrum file". The
registry asks :func:`container_problem` before any sniffer and refuses such a file saying what
it is and what to do.

They are refused rather than opened: every reader reads a file by its path and records that
file's SHA-256, so a spectrum read from inside an archive would be recorded against bytes it was
not read from; and an archive can hold many files, or expand without bound. Taking the file
out first keeps the file that was read the file that is recorded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["container_problem"]

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive

# A ZIP-based document is told by a member only its kind has.
_ZIP_DOCUMENTS = (
    ("xl/workbook.xml", "an Excel workbook (.xlsx)", "export the spectrum from it as CSV"),
    ("xl/workbook.bin", "an Excel workbook (.xlsb)", "export the spectrum from it as CSV"),
    ("word/document.xml", "a Word document (.docx)", "export the spectrum itself, as CSV"),
    ("ppt/presentation.xml", "a PowerPoint file (.pptx)", "export the spectrum itself, as CSV"),
)
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.spreadsheet": (
        "an OpenDocument spreadsheet (.ods)",
        "export the spectrum from it as CSV",
    ),
    "application/vnd.oasis.opendocument.text": (
        "an OpenDocument text (.odt)",
        "export the spectrum itself, as CSV",
    ),
}

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Microsoft's compound file: old Office documents, and some instruments' own formats."""

# Compressed single files: magic, name, the command that takes the file out, the extension
# that command needs.
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gunzip", ".gz"),
    (b"BZh", "bzip2", "bunzip2", ".bz2"),  # and a block size digit: see _is_bzip2
    (b"\xfd7zXZ\x00", "xz", "unxz", ".xz"),
    (b"(\xb5/\xfd", "zstd", "unzstd", ".zst"),
)


def _is_bzip2(head: bytes) -> bool:
    """ "BZh", a block size digit, then a block's or the end's magic: no text starts so."""
    return head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")


def container_problem(head: bytes, path: Path) -> str | None:
    """What an archive, compressed file or office document is, and what to do; or None.

    Parameters
    ----------
    head : bytes
        The first bytes of the file.
    path : Path
        The file, opened again to list a ZIP file's members.

    Returns
    -------
    str or None
        The reason to refuse the file, for a :class:`~forensic.errors.FormatError`.
    """
    for magic, name, command, extension in _COMPRESSED:
        if head.startswith(magic) and (name != "bzip2" or _is_bzip2(head)):
            how = (
                f"{command} {path.name}"
                if path.suffix.lower() == extension
                else f"its name does not say so: rename it to end in {extension}, then {command} it"
            )
            return (
                f"compressed with {name}, not a spectrum file itself: decompress it first "
                f"({how}), then read the file it holds"
            )
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "a 7-Zip archive, not a spectrum file: extract the spectrum file from it first"
    if head.startswith(_OLE2_MAGIC):
        return (
            "an OLE2 compound file (an Excel .xls or Word .doc of Office 97-2003, or an "
            "instrument's own format built on it, such as Shimadzu's .spc), which this toolkit "
            "does not read: export the spectrum from it as CSV or JCAMP-DX"
        )
    if not head.startswith(_ZIP_MAGICS):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace").strip()
                if "mimetype" in names
                else ""
            )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError):
        return (
            "a ZIP archive, and a damaged or incomplete one (its list of files cannot be "
            "read), not a spectrum file: copy it again, then extract the spectrum file from it"
        )
    for member, kind, action in _ZIP_DOCUMENTS:
        if member in names:
            return f"{kind}, not a spectrum file: {action}"
    if mimetype in _OPENDOCUMENT:
        kind, action = _OPENDOCUMENT[mimetype]
        return f"{kind}, not a spectrum file: {action}"
    files = [n for n in names if not n.endswith("/")]
    if not files:
        return "an empty ZIP archive, not a spectrum file"
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return (
        f"a ZIP archive of {len(files)} file(s) ({shown}), not a spectrum file: extract the "
        "spectrum file from it first"
    )
