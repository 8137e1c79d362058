"""The inbox's sign-in: the API token exchanged for a signed session cookie, and CSRF tokens.

Nothing is kept on the server: a cookie is `id.expiry.signature`, signed with a key derived from
AGENTGEN_API_TOKEN, so every worker that shares the token accepts it, and changing the token
signs everyone out. A form's CSRF token is the HMAC of the session's (or the sign-in's) id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

SESSION = "session"
LOGIN = "login"
SESSION_COOKIE = "agentgen_ui_session"
LOGIN_COOKIE = "agentgen_ui_login"
SESSION_S = 12 * 3600
LOGIN_S = 3600
_KEY_LABEL = b"agentgen-ui-cookies-v1"


def ui_key() -> bytes | None:
    """The key that signs the inbox's cookies, from AGENTGEN_API_TOKEN; None without a token."""
    token = os.environ.get("AGENTGEN_API_TOKEN")
    if not token:
        return None
    # derived, never the token itself: a cookie's signature reveals nothing usable as a token
    return hmac.new(token.encode(), _KEY_LABEL, hashlib.sha256).digest()


def token_matches(given: str) -> bool:
    """Whether `given` is AGENTGEN_API_TOKEN, compared in constant time."""
    token = os.environ.get("AGENTGEN_API_TOKEN")
    return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())


def new_cookie(key: bytes, purpose: str, lifetime_s: int) -> str:
    """A fresh signed value for `purpose`: a random id, when it expires, and their signature."""
    body = f"{secrets.token_hex(16)}.{int(time.time()) + lifetime_s}"
    return f"{body}.{_sign(key, purpose, body)}"


def cookie_id(key: bytes, purpose: str, value: str | None) -> str | None:
    """The id of a signed value of `purpose` that is untampered and unexpired; else None."""
    ident, _, rest = (value or "").partition(".")
    expiry, _, signature = rest.partition(".")
    if not (ident and expiry.isdigit()):
        return None
    if not _same(signature, _sign(key, purpose, f"{ident}.{expiry}")):
        return None
    return ident if int(expiry) > time.time() else None


def csrf_token(key: bytes, ident: str) -> str:
    """The token every form of the session (or of the sign-in) `ident` carries."""
    return _sign(key, "csrf", ident)


def csrf_matches(key: bytes, ident: str, given: str) -> bool:
    """Whether a form's token is the one of its session."""
    return _same(given, csrf_token(key, ident))


def _sign(key: bytes, purpose: str, text: str) -> str:
    return hmac.new(key, f"{purpose}|{text}".encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    # bytes: compare_digest refuses str that is not ASCII, and a form may send anything
    return hmac.compare_digest(given.encode(), expected.encode())
