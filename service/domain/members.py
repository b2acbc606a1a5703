"""The rules of members: a valid email, a valid name, and the member a free-text owner of the
time before members becomes.

An email is compared case-insensitively (`email_key`); it is kept as given, trimmed. A free-text
owner that is an email becomes a member with that email and the part before `@` as its name; any
other text becomes a member named by the text, with the email `owner-<hex>@members.invalid`:
`.invalid` is a top-level domain reserved never to exist (RFC 2606), so no mail can reach it, and
`<hex>` is a digest of the text's `owner_key`, so one text makes one email.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from service.domain.errors import ErrorCode, InvalidInput, NotFound, RuleViolation
from service.domain.model import Member

MAX_EMAIL = 254
"""The longest address SMTP carries (RFC 5321 §4.5.3.1.3)."""
MAX_NAME = 200
PLACEHOLDER_DOMAIN = "members.invalid"

# One `@`, no blanks or control characters, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(
    r"[^\s@\x00-\x1f\x7f]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9-]{2,63}"
)


def email(value: str, *, field: str = "email") -> str:
    """A valid email, trimmed: one local part of at most 64 characters, `@`, a dotted domain;
    at most MAX_EMAIL characters in all. INVALID_TEXT otherwise."""
    cleaned = value.strip()
    if len(cleaned) > MAX_EMAIL or not _EMAIL.fullmatch(cleaned):
        raise InvalidInput(
            f"{field} must be an email address such as ana@example.com, at most "
            f"{MAX_EMAIL} characters",
            field=(field,),
            code=ErrorCode.INVALID_TEXT,
        )
    return cleaned


def is_email(value: str) -> bool:
    """Whether a text is a valid email once trimmed."""
    try:
        email(value)
    except InvalidInput:
        return False
    return True


def name(value: str, *, field: str = "name") -> str:
    """A member's name: trimmed, not empty, at most MAX_NAME characters, no control characters."""
    cleaned = value.strip()
    if not cleaned or len(cleaned) > MAX_NAME or any(_control(c) for c in cleaned):
        raise InvalidInput(
            f"{field} must be 1 to {MAX_NAME} characters without control characters",
            field=(field,),
            code=ErrorCode.INVALID_TEXT,
        )
    return cleaned


def _control(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn")


def owner_key(text: str) -> str:
    """What makes two free-text owners the same person: the text trimmed, its blanks squeezed,
    compared case-insensitively."""
    return " ".join(text.split()).casefold()


def owner_email(text: str) -> str:
    """The email of the member a free-text owner becomes (see the module's doc)."""
    cleaned = text.strip()
    if is_email(cleaned):
        return cleaned
    hexed = hashlib.sha256(owner_key(text).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"owner-{hexed}@{PLACEHOLDER_DOMAIN}"


def owner_name(text: str) -> str:
    """The name of the member a free-text owner becomes: the text (blanks squeezed, cut to
    MAX_NAME), or the local part of an email."""
    squeezed = " ".join("".join(" " if _control(c) else c for c in text).split())
    if is_email(squeezed):
        squeezed = squeezed.split("@", 1)[0]
    return squeezed[:MAX_NAME] or "owner"


def with_email(members: Iterable[Member], address: str) -> Member | None:
    """The member whose email is `address`, compared case-insensitively; None if none."""
    key = address.strip().casefold()
    return next((m for m in members if m.email_key == key), None)


def unique_email(members: Iterable[Member], address: str, *, but: str | None = None) -> None:
    """DUPLICATE when another member (not the one whose id is `but`) has this email."""
    taken = with_email((m for m in members if m.id != but), address)
    if taken is not None:
        raise RuleViolation(
            f"another member of the organization has the email {address.strip()!r}",
            field=("email",),
            code=ErrorCode.DUPLICATE,
        )


def active_owner(member: Member | None, *, field: str = "owner") -> Member:
    """The member an input names as owner: it must exist (NOT_FOUND) and be active
    (MEMBER_INACTIVE)."""
    if member is None:
        raise NotFound("no member with this id in the organization", field=(field,))
    if not member.active:
        raise RuleViolation(
            f"{member.name} is deactivated and cannot own OKRs",
            field=(field,),
            code=ErrorCode.MEMBER_INACTIVE,
        )
    return member
