"""Pseudonymisation at ingest: direct identifiers are dropped, ids become a keyed hash.

Survey respondents and platform users are hashed with the *same* key, so that a respondent who
consented to a link with their platform account can be joined on the hash without either side
exposing a name, an e-mail address or a platform id.

The key is read from the environment variable named in ``params.yaml`` (``privacy.key_env``) or
from the ignored file ``.hash-key`` at the project root. The bundled demo uses the documented,
public :data:`DEMO_KEY`; it protects nothing and must never be used for real exports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pandas as pd

from analysis.paths import ROOT

DEMO_KEY = "demo-key-not-secret"
KEY_FILE = ROOT / ".hash-key"
MIN_KEY_LENGTH = 16  # characters; a short key can be found by trying keys on known ids

# Column names (lower-cased, spaces and punctuation removed) that hold direct identifiers in the
# exports we read. Anything matching is dropped at ingest, before a table is written.
_IDENTIFIER_NAMES = {
    "name", "firstname", "lastname", "fullname", "displayname", "username",
    "email", "emailaddress", "recipientemail", "recipientfirstname", "recipientlastname",
    "externalreference", "externaldatareference", "ipaddr", "ipaddress",
    "locationlatitude", "locationlongitude", "latitude", "longitude", "location",
    "sendername", "senderemail", "userprincipalname", "ownerprincipalname", "phone",
    "phonenumber", "mobile", "telephone",
}


def _squash(column: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(column).lower())


def is_identifier(column: str) -> bool:
    """Tell whether a column name is a direct identifier that must not leave ingest.

    Examples
    --------
    >>> is_identifier("Recipient Email"), is_identifier("IPAddress"), is_identifier("Q1")
    (True, True, False)
    """
    return _squash(column) in _IDENTIFIER_NAMES


def hash_key(key_env: str = "INTRANET_BENCHMARK_KEY", demo: bool = False) -> bytes:
    """Find the pseudonymisation key: environment, then ``.hash-key``, then (demo only) DEMO_KEY.

    Raises
    ------
    RuntimeError
        When no key is configured and the run is not the demo, or the key is shorter than
        :data:`MIN_KEY_LENGTH` characters (an empty ``.hash-key`` would make every hash
        reproducible by anyone who knows the ids).
    """
    where, key = None, None
    if os.environ.get(key_env):
        where, key = f"the environment variable {key_env}", os.environ[key_env].strip()
    elif KEY_FILE.exists():
        where, key = KEY_FILE.name, KEY_FILE.read_text(encoding="utf-8").strip()
    elif demo:
        return DEMO_KEY.encode()
    if key is None:
        raise RuntimeError(
            f"no pseudonymisation key: set the environment variable {key_env} or write one line "
            f"to {KEY_FILE.name} at the project root (it is git-ignored); see README, "
            "'Bring your own exports'")
    if len(key) < MIN_KEY_LENGTH:
        raise RuntimeError(
            f"the pseudonymisation key in {where} has {len(key)} characters; use at least "
            f"{MIN_KEY_LENGTH} random ones, e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'")
    return key.encode()


def pseudonymise(values: pd.Series, key: bytes, namespace: str = "") -> pd.Series:
    """Replace each value by the first 20 hex digits of HMAC-SHA256(key, namespace + value).

    Missing values stay missing. Values are compared as stripped, lower-cased strings, so
    ``'A.Jansen@Gemeente.nl '`` and ``'a.jansen@gemeente.nl'`` hash alike.

    Notes
    -----
    20 hex digits are 80 bits: for a million ids the chance of any collision is below 1e-12.

    Examples
    --------
    >>> s = pseudonymise(pd.Series(["u1", None]), b"k")
    >>> len(s[0]), pd.isna(s[1])
    (20, True)
    """
    def one(value):
        if pd.isna(value):
            return pd.NA
        text = namespace + str(value).strip().lower()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20]

    uniques = pd.Series(values.dropna().unique())
    mapping = dict(zip(uniques, uniques.map(one), strict=True))
    return values.map(mapping).astype("string")
