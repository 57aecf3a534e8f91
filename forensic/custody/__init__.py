"""Evidence store, tamper-evident chain of custody, signatures, verification and bundles."""

from forensic.custody.store import (
    Store,
    StoreBusyError,
    StoreDamagedError,
    StoreGoneError,
    StoreReadOnlyError,
    resolve_store_path,
)
from forensic.custody.verify import Problem, UnverifiedChainError, VerifyReport, verify_store

__all__ = [
    "Problem",
    "Store",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreGoneError",
    "StoreReadOnlyError",
    "UnverifiedChainError",
    "VerifyReport",
    "resolve_store_path",
    "verify_store",
]
