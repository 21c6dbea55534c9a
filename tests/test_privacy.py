"""Pseudonymisation: identifiers recognised, keys found and checked, hashes keyed and stable."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import privacy


@pytest.mark.parametrize("column", ["email", "E-mail address", "IPAddress", "LocationLatitude",
                                    "RecipientFirstName", "sender_name", "User Principal Name"])
def test_direct_identifiers_are_recognised(column):
    assert privacy.is_identifier(column)


@pytest.mark.parametrize("column", ["Q1", "VERB[SQ001]", "organisation", "department"])
def test_ordinary_columns_are_kept(column):
    assert not privacy.is_identifier(column)


def test_hash_is_keyed_hmac_sha256_and_normalises_case_and_spaces():
    # reference: the standard library's HMAC-SHA256 of the folded id, first 20 hex digits
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"u1", hashlib.sha256).hexdigest()[:20]
    hashed = privacy.pseudonymise(pd.Series(["u1", " U1 ", None]), b"k")
    assert hashed[0] == expected == hashed[1] and pd.isna(hashed[2])
    assert privacy.pseudonymise(pd.Series(["u1"]), b"other")[0] != expected
    assert privacy.pseudonymise(pd.Series(["u1"]), b"k", namespace="r:")[0] != expected


def test_key_comes_from_the_environment_and_must_be_long(monkeypatch, tmp_path):
    monkeypatch.setattr(privacy, "KEY_FILE", tmp_path / ".hash-key")
    monkeypatch.setenv("TEST_KEY", "a" * 32)
    assert privacy.hash_key("TEST_KEY") == b"a" * 32
    monkeypatch.setenv("TEST_KEY", "abc")
    with pytest.raises(RuntimeError, match="has 3 characters"):
        privacy.hash_key("TEST_KEY")


def test_empty_key_file_is_refused_and_demo_key_needs_demo(monkeypatch, tmp_path):
    key_file = tmp_path / ".hash-key"
    monkeypatch.setattr(privacy, "KEY_FILE", key_file)
    monkeypatch.delenv("TEST_KEY", raising=False)
    with pytest.raises(RuntimeError, match="no pseudonymisation key"):
        privacy.hash_key("TEST_KEY", demo=False)
    assert privacy.hash_key("TEST_KEY", demo=True) == privacy.DEMO_KEY.encode()
    key_file.write_text("\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="has 0 characters"):
        privacy.hash_key("TEST_KEY", demo=True)
