"""Evidence store, tamper-evident chain of custody, signatures, verification and bundles."""

from forensic.custody.store import Store, StoreBusyError, resolve_store_path
from forensic.custody.verify import Problem, VerifyReport, verify_store

__all__ = [
    "Problem",
    "Store",
    "StoreBusyError",
    "VerifyReport",
    "resolve_store_path",
    "verify_store",
]
