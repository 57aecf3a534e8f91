"""Hand-over bundles: one zip with everything about a case, verified before it is accepted.

Layout of ``FILE.zip``::

    manifest.json          what the bundle holds: case, chains, SHA-256 of every other file
    manifest.sig           Ed25519 signature (hex) of SHA-256(manifest.json) by the exporter
    records/<table>.json   the case's records, every column including hash and signature
    links/<chain>.json     the chain's link skeleton [[seq, table, hash, prev_hash], ...]: it
                           proves where the case's records sit without carrying other cases
    raw/<sha256>.json      raw spectra, named by their SHA-256
    reports/<sha256>.pdf   issued report PDFs, named by their SHA-256
    keys/<fingerprint>.pub the signers' public keys (PEM), also in records/operator_keys.json

:func:`import_bundle` checks, in this order and before writing anything: every file against
the manifest (missing, extra or changed files are named), the manifest's signature, every
record's hash and signature, the link skeletons, and that nothing conflicts with what the
destination store already holds. Only then does it insert everything in one transaction and
append a signed ``imports`` record to the destination's own chain.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from forensic.custody import chain
from forensic.custody.keys import verify_signature
from forensic.custody.store import (
    PDF_MEDIA_TYPE,
    RAW_SPECTRUM_MEDIA_TYPE,
    Store,
    check_outputs_off_store,
    store_files,
    utc_now,
)
from forensic.custody.verify import (
    Problem,
    UnverifiedChainError,
    _check_record,
    links_digest,
    verify_store,
)
from forensic.errors import CustodyError
from forensic.files import atomic_write_bytes, check_output_names

__all__ = ["BUNDLE_FORMAT", "BundleError", "ImportSummary", "export_bundle", "import_bundle"]

BUNDLE_FORMAT = "forensic-bundle/1"
_CASE_TABLES = ("cases", "exhibits", "custody_events", "measurements", "results", "reports")
_INSERT_ORDER = ("operator_keys", *_CASE_TABLES)
_MAX_MEMBER_BYTES = 512 * 1024 * 1024


class BundleError(CustodyError):
    """A bundle is unreadable, tampered with, or conflicts with the destination store."""

    exit_code = 3


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _public_pem(public_key_hex: str) -> bytes:
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _skeleton(store: Store, chain_id: str) -> list[list]:
    links = {
        row["seq"]: [row["seq"], row["table_name"], row["hash"], row["prev_hash"]]
        for row in store.query("SELECT * FROM chain_links WHERE chain_id = ?", (chain_id,))
    }
    for table in chain.CHAINED_TABLES:
        for row in store.query(
            f"SELECT seq, hash, prev_hash FROM {table} WHERE chain_id = ?", (chain_id,)
        ):
            links[row["seq"]] = [row["seq"], table, row["hash"], row["prev_hash"]]
    return [links[seq] for seq in sorted(links)]


def _exported(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A record as a bundle holds it: without its local row id, nor a column a later schema
    added that it has no value in (:data:`forensic.custody.chain.LATER_COLUMNS`), as a store
    made before that column holds it, so that a toolkit of that schema imports it."""
    later = chain.LATER_COLUMNS.get(table, {})
    return {k: v for k, v in row.items() if k != "id" and not (k in later and v is None)}


def export_bundle(
    store: Store,
    case_number: str,
    out: str | os.PathLike,
    *,
    operator: str,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the bundle of a case to ``out`` and return its manifest.

    Parameters
    ----------
    store : Store
        The evidence store.
    case_number : str
        The case (as recorded, or differing from it only as :meth:`Store.require_case`
        allows).
    out : str or path-like
        The bundle file to write (a ZIP archive).
    operator : str
        Who exports: their key signs the manifest.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    dict
        The manifest: ``format``, ``case_number``, ``created_at``, ``exported_by``,
        ``exporter_key_fingerprint``, ``origin_chain_id``, ``chains`` (each chain's id and
        head), ``record_count`` and ``files`` (the SHA-256 of every other file of the bundle).

    Raises
    ------
    CustodyError
        If the case's records do not verify (nothing tampered leaves the store): checked
        before the file there, whose refusal would hide it.
    OutputExistsError, OutputError
        ``out`` exists and ``overwrite`` is false, or it is (or is in) what the store owns
        (:func:`~forensic.custody.store.check_outputs_off_store`; said first): checked before
        the exporter's key is recorded.
    """
    check_output_names({"out": out}, keep_off=store_files(store.db_path))
    case_number = store.require_case(case_number)["case_number"]  # as recorded
    problems = verify_store(store).problems_for(case_number)
    if problems:
        raise UnverifiedChainError(
            f"case {case_number} does not verify (first bad record: {problems[0]}); "
            "a bundle is only made of verified records"
        )
    (out,) = check_outputs_off_store({"out": out}, store.db_path, overwrite=overwrite)
    key = store.operator_key(operator)
    files: dict[str, bytes] = {}
    records: dict[str, list[dict]] = {}
    for table in _CASE_TABLES:
        rows = store.query(
            f"SELECT * FROM {table} WHERE case_number = ? ORDER BY chain_id, seq", (case_number,)
        )
        records[table] = [_exported(table, row) for row in rows]
    fingerprints = {key.fingerprint} | {
        row["key_fingerprint"] for rows in records.values() for row in rows
    }
    key_rows = store.query(
        f"SELECT * FROM operator_keys WHERE fingerprint IN ({','.join('?' * len(fingerprints))}) "
        "ORDER BY chain_id, seq",
        sorted(fingerprints),
    )
    records["operator_keys"] = [{k: v for k, v in row.items() if k != "id"} for row in key_rows]
    for table, rows in records.items():
        files[f"records/{table}.json"] = _json_bytes(rows)
    for row in records["operator_keys"]:
        files[f"keys/{row['fingerprint']}.pub"] = _public_pem(row["public_key"])
    for row in records["measurements"]:
        files[f"raw/{row['raw_sha256']}.json"] = store.get_blob(row["raw_sha256"])
    for row in records["reports"]:
        if row["pdf_sha256"]:
            files[f"reports/{row['pdf_sha256']}.pdf"] = store.get_blob(row["pdf_sha256"])
    chains = []
    for chain_id in sorted({row["chain_id"] for rows in records.values() for row in rows}):
        skeleton = _skeleton(store, chain_id)
        files[f"links/{chain_id}.json"] = _json_bytes(skeleton)
        chains.append(
            {"chain_id": chain_id, "head_seq": skeleton[-1][0], "head_hash": skeleton[-1][2]}
        )
    manifest = {
        "format": BUNDLE_FORMAT,
        "case_number": case_number,
        "created_at": utc_now(),
        "exported_by": key.operator,
        "exporter_key_fingerprint": key.fingerprint,
        "origin_chain_id": store.chain_id,
        "chains": chains,
        "record_count": sum(len(rows) for rows in records.values()),
        "files": {name: chain.sha256_hex(data) for name, data in sorted(files.items())},
    }
    manifest_bytes = _json_bytes(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr(
            "manifest.sig", key.sign(bytes.fromhex(chain.sha256_hex(manifest_bytes))) + "\n"
        )
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    # its folder was checked above: never made anew (a USB stick pulled out meanwhile)
    atomic_write_bytes(out, buffer.getvalue(), overwrite=overwrite, make_folders=False)
    return manifest


@dataclass(frozen=True)
class ImportSummary:
    """What an import accepted.

    Attributes
    ----------
    case_number : str
        The case the bundle holds.
    new_records : int
        Records added to the store.
    known_records : int
        Records the store held already (the same hash), not added again.
    exported_by : str
        The operator who exported the bundle.
    exporter_key_fingerprint : str
        The fingerprint of the key that signed the bundle's manifest.
    import_record : dict
        The ``imports`` record of this import, signed by the importing operator.
    """

    case_number: str
    new_records: int
    known_records: int
    exported_by: str
    exporter_key_fingerprint: str
    import_record: dict[str, Any]


def _read_bundle(path: Path) -> tuple[str, dict[str, bytes]]:
    try:
        # Read the file once: what is checked is exactly what is imported and hashed.
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path}: cannot read the bundle ({exc})") from None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members: dict[str, bytes] = {}
            members = {}
            for info in archive.infolist():
                name = info.filename
                pure = PurePosixPath(name)
                if info.is_dir():
                    continue
                if pure.is_absolute() or ".." in pure.parts or "\\" in name:
                    raise BundleError(f"{path}: member {name!r} has an unsafe path")
                if info.file_size > _MAX_MEMBER_BYTES:
                    raise BundleError(f"{path}: member {name!r} is {info.file_size} bytes")
                if name in members:
                    raise BundleError(f"{path}: member {name!r} appears twice")
                if not name:
                    raise BundleError(f"{path}: a member has an empty name")
                members[name] = archive.read(info)
            return chain.sha256_hex(data), members
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{path}: not a readable zip bundle ({exc})") from None
    except (zipfile.LargeZipFile, OSError) as exc:
        raise BundleError(f"{path}: cannot read the bundle ({exc})") from None
    except Exception as exc:  # a corrupt member (bad CRC, bad compression) lands here
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"{path}: a member of the bundle is corrupt ({exc})") from None


def _load_json(path: Path, members: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(members[name])
    except KeyError:
        raise BundleError(f"{path}: {name} is missing from the bundle") from None
    except ValueError as exc:
        raise BundleError(f"{path}: {name} is not valid JSON ({exc})") from None


def check_bundle(
    path: str | os.PathLike,
) -> tuple[dict, dict[str, list[dict]], dict[str, bytes], str]:
    """Verify a bundle completely without touching any store.

    Returns ``(manifest, records by table, members, SHA-256 of the zip file)``.

    Raises
    ------
    BundleError
        Naming the first thing that is wrong (a file, a record, a signature, a link).
    """
    path = Path(path)
    bundle_sha256, members = _read_bundle(path)
    manifest = _load_json(path, members, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{path}: manifest.json is not a {BUNDLE_FORMAT} manifest")
    listed = manifest.get("files") or {}
    for name, expected in sorted(listed.items()):
        if name not in members:
            raise BundleError(f"{path}: {name} is listed in the manifest but missing")
        actual = chain.sha256_hex(members[name])
        if actual != expected:
            raise BundleError(
                f"{path}: {name} was changed: its SHA-256 is {actual}, the manifest says {expected}"
            )
    extra = sorted(set(members) - set(listed) - {"manifest.json", "manifest.sig"})
    if extra:
        raise BundleError(f"{path}: {extra[0]} is in the bundle but not in its manifest")
    records = {table: _load_json(path, members, f"records/{table}.json") for table in _INSERT_ORDER}
    keys = {}
    for row in records["operator_keys"]:
        keys[row["fingerprint"]] = row
    exporter = keys.get(manifest.get("exporter_key_fingerprint"))
    signature = members.get("manifest.sig", b"").decode("ascii", "replace").strip()
    if exporter is None:
        raise BundleError(f"{path}: the exporter's public key is not in the bundle")
    if not verify_signature(
        exporter["public_key"],
        signature,
        bytes.fromhex(chain.sha256_hex(members["manifest.json"])),
    ):
        raise BundleError(
            f"{path}: manifest.json is not signed by {exporter['operator']!r} (key "
            f"{exporter['fingerprint'][:16]}...): the manifest or its signature was changed"
        )
    by_hash = {row["hash"]: (table, row) for table, rows in records.items() for row in rows}
    blob_ok = {
        name.split("/")[1].rsplit(".", 1)[0]: chain.sha256_hex(data)
        == name.split("/")[1].rsplit(".", 1)[0]
        for name, data in members.items()
        if name.startswith(("raw/", "reports/"))
    }
    problems: list[Problem] = []
    positions: dict[str, dict[int, tuple[str, dict]]] = defaultdict(dict)
    for table, rows in records.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BundleError(f"{path}: records/{table}.json is not a list of records")
        allowed = {*chain.CHAIN_COLUMNS, *chain.CHAINED_TABLES[table], "hash", "signature"}
        # a column a later schema added is absent from a record without a value in it
        # (a bundle of an earlier toolkit holds none)
        required = allowed - set(chain.LATER_COLUMNS.get(table, {}))
        for row in rows:
            unknown = sorted(set(row) - allowed)
            missing = sorted(required - set(row))
            if unknown or missing:
                raise BundleError(
                    f"{path}: a {table} record has unexpected or missing columns "
                    f"({', '.join(unknown or missing)})"
                )
        for row in rows:
            if row.get("case_number", manifest["case_number"]) != manifest["case_number"]:
                problems.append(
                    Problem(table, row.get("seq"), "belongs to another case", row.get("chain_id"))
                )
            try:
                problems.extend(_check_record(table, dict(row), keys, by_hash, blob_ok))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                problems.append(
                    Problem(table, row.get("seq"), f"malformed record ({exc})", row.get("chain_id"))
                )
            positions[row["chain_id"]][row["seq"]] = (table, row)
    if problems:
        raise BundleError(f"{path}: record does not verify: {problems[0]}")
    heads = {c["chain_id"]: c for c in manifest.get("chains") or []}
    for chain_id, entries in positions.items():
        skeleton = _load_json(path, members, f"links/{chain_id}.json")
        if chain_id not in heads:
            raise BundleError(f"{path}: chain {chain_id[:8]} is not in the manifest")
        prev = chain.GENESIS_HASH
        for index, link in enumerate(skeleton, start=1):
            seq, table, digest, prev_hash = link
            if seq != index or prev_hash != prev:
                raise BundleError(f"{path}: links/{chain_id}.json is broken at position {index}")
            prev = digest
            if seq in entries:
                entry_table, row = entries[seq]
                if (entry_table, row["hash"], row["prev_hash"]) != (table, digest, prev_hash):
                    raise BundleError(
                        f"{path}: {entry_table} record #{seq} does not sit where the chain's "
                        "links say"
                    )
        missing = set(entries) - {link[0] for link in skeleton}
        if missing:
            raise BundleError(f"{path}: record #{min(missing)} is outside its chain's links")
        head = heads[chain_id]
        if not skeleton or [head["head_seq"], head["head_hash"]] != [
            skeleton[-1][0],
            skeleton[-1][2],
        ]:
            raise BundleError(f"{path}: the head of chain {chain_id[:8]} differs from the manifest")
    return manifest, records, members, bundle_sha256


def import_bundle(store: Store, path: str | os.PathLike, *, operator: str) -> ImportSummary:
    """Verify a bundle completely, then add its records to ``store`` in one transaction.

    Parameters
    ----------
    store : Store
        The evidence store to add the records to.
    path : str or path-like
        The bundle file.
    operator : str
        Who imports: signs the ``imports`` record.

    Returns
    -------
    ImportSummary
        What was added, and what the store held already.

    Raises
    ------
    BundleError
        If anything in the bundle does not verify or conflicts with the store (nothing is
        written then).
    """
    path = Path(path)
    manifest, records, members, bundle_sha256 = check_bundle(path)
    new = known = 0
    with store.transaction():
        conn = store.conn
        for entry in manifest["chains"]:
            chain_id = entry["chain_id"]
            skeleton = json.loads(members[f"links/{chain_id}.json"])
            existing = {link[0]: link for link in _skeleton(store, chain_id)}
            for link in skeleton:
                old = existing.get(link[0])
                if old is not None and list(old) != list(link):
                    raise BundleError(
                        f"{path}: chain {chain_id[:8]} position {link[0]} differs from the "
                        "record this store already holds there (the chains have forked)"
                    )
        for name, data in members.items():
            if name.startswith("raw/"):
                store.put_blob(data, RAW_SPECTRUM_MEDIA_TYPE)
            elif name.startswith("reports/"):
                store.put_blob(data, PDF_MEDIA_TYPE)
        origins = []
        for entry in manifest["chains"]:
            chain_id = entry["chain_id"]
            if chain_id == store.chain_id:
                continue  # our own records coming back: nothing new to link
            for seq, table, digest, prev_hash in json.loads(members[f"links/{chain_id}.json"]):
                conn.execute(
                    "INSERT OR IGNORE INTO chain_links(chain_id, seq, table_name, hash, prev_hash)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (chain_id, seq, table, digest, prev_hash),
                )
        for table in _INSERT_ORDER:
            for row in records[table]:
                if conn.execute(f"SELECT 1 FROM {table} WHERE hash = ?", (row["hash"],)).fetchone():
                    known += 1
                    continue
                columns = list(row)
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    [row[c] for c in columns],
                )
                new += 1
        for entry in manifest["chains"]:
            chain_id = entry["chain_id"]
            if chain_id == store.chain_id:
                continue
            links = [
                (r["seq"], r["table_name"], r["hash"], r["prev_hash"])
                for r in store.query(
                    "SELECT * FROM chain_links WHERE chain_id = ? AND seq <= ?",
                    (chain_id, entry["head_seq"]),
                )
            ]
            origins.append({**entry, "links_sha256": links_digest(links)})
        record = store.append(
            "imports",
            {
                "bundle_sha256": bundle_sha256,
                "manifest_sha256": chain.sha256_hex(members["manifest.json"]),
                "case_number": manifest["case_number"],
                "origin_chains_json": chain.canonical_text(origins),
                "record_count": new,
                "imported_by": operator,
            },
            operator=operator,
        )
    return ImportSummary(
        manifest["case_number"],
        new,
        known,
        manifest["exported_by"],
        manifest["exporter_key_fingerprint"],
        record,
    )
