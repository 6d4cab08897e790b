"""Short-lived signed URLs of files on this host: how /cdn/ lets a previewer fetch a file in
review without making it public (docs/decisions.md, "Files in review")."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.core import signing

# How long a temporary URL works, on local disk (checked by /cdn/) and on S3 (presigned).
TEMPORARY_URL_MAX_AGE = 3600
# A signature made for this purpose and no other: a value signed elsewhere with the same
# SECRET_KEY (a session, a password reset) never opens a file.
TEMPORARY_URL_SALT = "naap.storage.temporary-url"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=TEMPORARY_URL_SALT)


def signed_query(key: str) -> str:
    """The query string that lets /cdn/ serve key for the next TEMPORARY_URL_MAX_AGE seconds."""
    # sign() gives "key:issued:signature"; the key is already the URL's path.
    _, issued, signature = _signer().sign(key).rsplit(":", 2)
    return urlencode({"issued": issued, "signature": signature})


def has_valid_signature(key: str, query: Mapping[str, str]) -> bool:
    """Whether query carries a signature of key made less than TEMPORARY_URL_MAX_AGE ago."""
    issued, signature = query.get("issued", ""), query.get("signature", "")
    if not issued or not signature:
        return False
    try:
        _signer().unsign(f"{key}:{issued}:{signature}", max_age=TEMPORARY_URL_MAX_AGE)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return False
    return True
