"""Operator keys: created once, private (0600), signatures verify only for the right data."""

from __future__ import annotations

import os
import stat

import pytest

from forensic.custody.continuity import same_statement
from forensic.custody.keys import (
    check_operator_name,
    config_dir,
    key_path,
    load_key,
    load_or_create_key,
    operator_name,
    similar_names,
    verify_signature,
)
from forensic.errors import CustodyError


def test_key_is_created_private_and_reused(tmp_path):
    key = load_or_create_key("Ann Example")
    assert key.path.parent == config_dir() / "keys"
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.path.parent.stat().st_mode) == 0o700
    again = load_or_create_key("Ann Example")
    assert again.public_key_hex == key.public_key_hex
    assert load_or_create_key("Bob Example").public_key_hex != key.public_key_hex


def test_names_that_slug_alike_get_different_files():
    assert key_path("Ann Example") != key_path("ann-example")


def test_a_key_readable_by_others_is_refused():
    key = load_or_create_key("Ann Example")
    os.chmod(key.path, 0o644)
    with pytest.raises(CustodyError, match=r"readable by others.*chmod 600"):
        load_or_create_key("Ann Example")


def test_a_corrupt_key_file_is_named():
    path = key_path("Ann Example")
    path.parent.mkdir(parents=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    with pytest.raises(CustodyError, match="not a readable private key"):
        load_or_create_key("Ann Example")


def test_load_key_never_creates_one():
    with pytest.raises(CustodyError, match=r"no signing key of 'Ann Example' on this computer"):
        load_key("Ann Example")
    assert not key_path("Ann Example").exists()
    key = load_or_create_key("Ann Example")
    assert load_key("Ann Example").public_key_hex == key.public_key_hex
    os.chmod(key.path, 0o644)
    with pytest.raises(CustodyError, match="readable by others"):
        load_key("Ann Example")


def test_signature_verifies_only_for_the_signed_bytes_and_key():
    key = load_or_create_key("Ann Example")
    other = load_or_create_key("Bob Example")
    signature = key.sign(b"record hash")
    assert verify_signature(key.public_key_hex, signature, b"record hash")
    assert not verify_signature(key.public_key_hex, signature, b"record hasH")
    assert not verify_signature(other.public_key_hex, signature, b"record hash")
    assert not verify_signature(key.public_key_hex, "zz", b"record hash")


@pytest.mark.parametrize(
    ("name", "message"), [("", "empty"), ("x" * 300, "at most"), ("tab\there", "control")]
)
def test_operator_names_are_checked(name, message):
    with pytest.raises(CustodyError, match=message):
        check_operator_name(name)


def test_an_operator_s_name_is_normalised_where_it_enters_and_compared_as_custody_does():
    assert operator_name(" Ann  Example\t") == "Ann Example"
    assert operator_name(None) is None
    known = ["Ann Example", "Ann  Example", "Anne Example", "Bob"]
    assert similar_names("ann example", known) == ["Ann  Example", "Ann Example"]
    assert similar_names("Ann Example", known) == ["Ann  Example"]  # itself left out
    assert similar_names("Anne", known) == []


def test_a_signer_s_name_is_alike_exactly_when_the_custody_log_reads_it_as_the_same():
    """One rule: the signers a name is warned to resemble are those the custody log would
    read as the same person (it was written twice, and could drift)."""
    known = ["Ann Example", "ann\texample", "Ann Exämple", "Ann-Example", "Ann Examplé", "BO"]
    for name in [*known, " ANN  EXAMPLE ", "bo", "Anne"]:
        expected = [other for other in known if other != name and same_statement(name, other)]
        assert similar_names(name, known) == sorted(expected)
