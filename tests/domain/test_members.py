"""The rules of members: emails, names, and the member a free-text owner becomes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain import members
from service.domain.errors import ErrorCode, InvalidInput, NotFound, RuleViolation
from service.domain.model import Member, MemberRole

ANA = Member(id="m1", org_id="o", name="Ana", email="Ana@Example.com", role=MemberRole.ADMIN)
BO = Member(id="m2", org_id="o", name="Bo", email="bo@example.com", active=False)

LOCAL = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S"), exclude_characters="@"),
    min_size=1,
    max_size=64,
)
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=1, max_size=3).map(".".join).map(lambda d: d + ".org")


@pytest.mark.parametrize(
    "text",
    ["ana@example.com", "  Ana.Maria+okr@mail.example.co  ", "x@a-b.io", "ñandú@correo.es"],
)
def test_a_valid_email_is_kept_trimmed(text: str) -> None:
    assert members.email(text) == text.strip()
    assert members.is_email(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "a na@example.com",
        "ana@exa mple.com",
        "ana@-example.com",
        "ana\x00@example.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_anything_else_is_invalid_text(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        members.email(text, field="email")
    assert refused.value.code is ErrorCode.INVALID_TEXT
    assert refused.value.field == ("email",)
    assert not members.is_email(text)


@given(LOCAL, DOMAIN)
def test_every_local_part_at_a_dotted_domain_is_an_email(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert members.email(address) == address


@pytest.mark.parametrize("text", ["", "   ", "a\x07b", "x" * 201, "zero\u200bwidth"])
def test_a_name_needs_printable_text_of_at_most_200_characters(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        members.name(text)
    assert refused.value.code is ErrorCode.INVALID_TEXT


def test_a_name_is_trimmed() -> None:
    assert members.name("  Marta López ") == "Marta López"


def test_emails_compare_case_insensitively() -> None:
    assert members.with_email([ANA, BO], " ana@EXAMPLE.com ") is ANA
    assert members.with_email([ANA, BO], "carla@example.com") is None
    with pytest.raises(RuleViolation) as taken:
        members.unique_email([ANA, BO], "ANA@example.com")
    assert taken.value.code is ErrorCode.DUPLICATE
    members.unique_email([ANA, BO], "ana@example.com", but=ANA.id)  # her own: fine


@given(st.text(min_size=1, max_size=80))
def test_one_free_text_owner_makes_one_member(text: str) -> None:
    """Texts that differ only by case and blanks are one person: the same email; a text that
    is an email keeps it; any other gets an address no mail can reach."""
    squeezed = " " + "  ".join(text.upper().split()) + "\t"
    assert members.owner_email(text).casefold() == members.owner_email(squeezed).casefold()
    made = members.owner_email(text)
    assert members.is_email(made)
    if not members.is_email(text):
        assert made.endswith("@" + members.PLACEHOLDER_DOMAIN)
    name = members.owner_name(text)
    assert 1 <= len(name) <= members.MAX_NAME
    assert members.name(name) == name


def test_an_email_owner_keeps_the_email_and_is_named_by_its_local_part() -> None:
    assert members.owner_email(" marta@acme.example ") == "marta@acme.example"
    assert members.owner_name("marta@acme.example") == "marta"
    assert members.owner_name("Marta  (Marketing)") == "Marta (Marketing)"
    assert members.owner_name("\x00\x01") == "owner"
    assert members.owner_key(" Marta  (MARKETING) ") == "marta (marketing)"


def test_an_owner_must_be_an_active_member() -> None:
    assert members.active_owner(ANA) is ANA
    with pytest.raises(NotFound) as unknown:
        members.active_owner(None)
    assert unknown.value.field == ("owner",)
    with pytest.raises(RuleViolation) as inactive:
        members.active_owner(BO, field="ownerId")
    assert inactive.value.code is ErrorCode.MEMBER_INACTIVE
    assert inactive.value.field == ("ownerId",)


def test_a_members_email_key_is_case_folded() -> None:
    assert ANA.email_key == "ana@example.com"
