"""Members: who belongs to an organization, owns its OKRs and signs in to it.

Every write of a member is one change in the organization's log. An email is unique in the
organization (compared case-insensitively), and so is a token subject: a subject is claimed by
one member for good (a member's subject never changes once set), which is what lets the first
request of a new subject create its member with a log key made of the subject (`subject_dedup`):
two first requests at once, on any instances, write one member.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from service.domain import members as rules
from service.domain.errors import ErrorCode, InvalidInput, RuleViolation
from service.domain.model import Member, MemberRole
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import created, member, new_id, put
from service.readmodel import Snapshot
from service.store.records import digest


def subject_dedup(org_id: str, subject: str) -> str:
    """The log key of the change that gives a token subject its member: unique in every log,
    so a subject joins an organization once."""
    return "member:" + digest("memberSubject", org_id, subject)


def _free_subject(snapshot: Snapshot, subject: str | None, *, but: str | None = None) -> None:
    """DUPLICATE when another member signs in as `subject` already."""
    if subject is None:
        return
    taken = snapshot.member_signed_in_as(subject)
    if taken is not None and taken.id != but:
        raise RuleViolation(
            "another member of the organization signs in with this subject",
            field=("subject",),
            code=ErrorCode.DUPLICATE,
        )


def _subject(subject: str | None) -> str | None:
    if subject is None or not subject.strip():
        return None
    cleaned = subject.strip()
    if len(cleaned) > rules.MAX_EMAIL or any(not c.isprintable() for c in cleaned):
        raise InvalidInput(
            f"subject must be at most {rules.MAX_EMAIL} printable characters",
            field=("subject",),
            code=ErrorCode.INVALID_TEXT,
        )
    return cleaned


async def invite_member(
    *,
    writer: Writer,
    org_id: str,
    name: str,
    email: str,
    now: datetime,
    actor: str | None = None,
    role: MemberRole = MemberRole.VIEWER,
    subject: str | None = None,
) -> Member:
    """A new, active member; DUPLICATE when the email (or the subject) is another member's."""
    cleaned_name = rules.name(name)
    cleaned_email = rules.email(email)
    cleaned_subject = _subject(subject)

    async def build(snapshot: Snapshot) -> Draft[Member]:
        rules.unique_email(snapshot.member_list(), cleaned_email)
        _free_subject(snapshot, cleaned_subject)
        made = Member(
            id=new_id(),
            org_id=org_id,
            name=cleaned_name,
            email=cleaned_email,
            role=role,
            subject=cleaned_subject,
        )
        return Draft("memberInvite", [created(made)], made, "Member", made.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="organizationId")
    return written.result


async def update_member(
    *,
    writer: Writer,
    org_id: str,
    member_id: str,
    now: datetime,
    actor: str | None = None,
    name: str | None = None,
    email: str | None = None,
    role: MemberRole | None = None,
    active: bool | None = None,
) -> Member:
    """Change a member's name, email, role, or bring a deactivated member back; fields left
    None stay as they are."""
    new_name = rules.name(name) if name is not None else None
    new_email = rules.email(email) if email is not None else None

    async def build(snapshot: Snapshot) -> Draft[Member] | Unchanged[Member]:
        current = member(snapshot, member_id)
        updated = current
        if new_name is not None:
            updated = replace(updated, name=new_name)
        if new_email is not None:
            rules.unique_email(snapshot.member_list(), new_email, but=current.id)
            updated = replace(updated, email=new_email)
        if role is not None:
            updated = replace(updated, role=role)
        if active is not None:
            updated = replace(updated, active=active)
        if updated == current:
            return Unchanged(current)
        return Draft("memberUpdate", [put(snapshot, updated)], updated, "Member", current.id)

    return (await writer.commit(org_id, build, actor=actor, at=now)).result


async def deactivate_member(
    *, writer: Writer, org_id: str, member_id: str, now: datetime, actor: str | None = None
) -> Member:
    """The member can no longer sign in nor be given OKRs; what they own stays theirs (the
    health report flags it). Deactivating twice changes nothing."""

    async def build(snapshot: Snapshot) -> Draft[Member] | Unchanged[Member]:
        current = member(snapshot, member_id)
        if not current.active:
            return Unchanged(current)
        updated = replace(current, active=False)
        return Draft("memberDeactivate", [put(snapshot, updated)], updated, "Member", current.id)

    return (await writer.commit(org_id, build, actor=actor, at=now)).result


async def member_for_email(
    *,
    writer: Writer,
    org_id: str,
    email: str,
    now: datetime,
    actor: str | None = None,
    name: str | None = None,
    role: MemberRole = MemberRole.VIEWER,
    kind: str = "memberInvite",
) -> Member:
    """The member with this email (compared case-insensitively), created (named `name`, or the
    email's local part) when there is none: one change, or none when the member exists. A
    retry finds the member its first attempt created."""
    cleaned_email = rules.email(email)
    cleaned_name = rules.name(name) if name is not None else rules.owner_name(cleaned_email)

    async def build(snapshot: Snapshot) -> Draft[Member] | Unchanged[Member]:
        found = rules.with_email(snapshot.member_list(), cleaned_email)
        if found is not None:
            return Unchanged(found)
        made = Member(id=new_id(), org_id=org_id, name=cleaned_name, email=cleaned_email, role=role)
        return Draft(kind, [created(made)], made, "Member", made.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="email")
    return written.result


@dataclass(frozen=True, slots=True)
class Joined:
    """The member a token subject is, and whether this request wrote it (created it, or gave
    an invited member the subject)."""

    member: Member
    wrote: bool


def _joining(snapshot: Snapshot, subject: str, role: MemberRole) -> Member:
    """Who a subject that no member signs in as yet becomes: the active member invited with the
    subject as email and no subject yet, or a new member named by the subject."""
    invited = None
    if rules.is_email(subject):
        invited = rules.with_email(snapshot.member_list(), subject)
    if invited is not None and invited.subject is None:
        return replace(invited, subject=subject)
    email = subject if rules.is_email(subject) and invited is None else _subject_email(subject)
    return Member(
        id=new_id(),
        org_id=snapshot.org_id,
        name=rules.owner_name(subject),
        email=email,
        role=role,
        subject=subject,
    )


def _subject_email(subject: str) -> str:
    """The placeholder email of a member known only by their token subject."""
    return rules.owner_email("subject:" + subject)


async def member_for_subject(
    *,
    writer: Writer,
    org_id: str,
    subject: str,
    role: MemberRole,
    now: datetime,
) -> Joined:
    """The member a token subject signs in as; on its first use, the invited member it names
    takes the subject, or a new member is created with the token's role (one change, keyed by
    `subject_dedup`)."""
    dedup = subject_dedup(org_id, subject)

    async def build(snapshot: Snapshot) -> Draft[Member] | Unchanged[Member]:
        found = snapshot.member_signed_in_as(subject)
        if found is not None:
            return Unchanged(found)
        joining = _joining(snapshot, subject, role)
        op = created(joining) if joining.id not in snapshot.members else put(snapshot, joining)
        return Draft("memberJoin", [op], joining, "Member", joining.id, dedup)

    written = await writer.commit(org_id, build, actor=subject, at=now)
    return Joined(written.result, written.change is not None)
