"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver checks.

A message is signed over `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 and the
endpoint's secret (`whsec_` + base64 of the key); `webhook-signature` lists one `v1,<base64>`
per valid secret, separated by spaces, so that during a rotation a receiver holding either
secret accepts the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


def new_secret() -> str:
    """A fresh secret: 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes | None:
    """The key of a secret in the Standard Webhooks format; None when it is not one (or its key
    is shorter than 24 or longer than 64 bytes)."""
    if not secret.startswith(PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        return None
    return key


def signature(message_id: str, timestamp: int, body: bytes, secrets_: Iterable[str]) -> str:
    """The `webhook-signature` header of a message: one `v1,` signature per secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    made: list[str] = []
    for secret in secrets_:
        key = secret_key(secret)
        if key is None:
            raise ValueError("not a webhook secret")
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        made.append("v1," + base64.b64encode(digest).decode())
    return " ".join(made)
