"""The migration of free-text owners to members.

Before members, an owner was free text on objectives, key results and action steps; it is kept
as `legacy_owner` until migrated. Migrating an organization turns each distinct text (compared
as `members.owner_key`: case and blanks aside) into one member, and points everything that
carried it at that member: one change in the log per text (`ownerMigrate`), which creates the
member (or finds the one whose email the text makes) and re-owns each of its objectives, key
results and steps, closed cycles included (history keeps who owned it).

It is idempotent: what is migrated carries no text any more, so running it again writes
nothing, and a run stopped halfway (a crash, the store gone) resumes where it stopped. The
member's email is the text itself when it is an email, else `owner-<hex>@members.invalid`
(see `service.domain.members`); their name is the text, their role viewer (a token's role, not
the member's, says what a request may do).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from service.domain import members
from service.domain.model import Member, MemberRole
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import created, new_id, put
from service.readmodel import Snapshot
from service.store.interface import Store
from service.store.records import Op

KIND = "ownerMigrate"
ACTOR = "okrgraph migrate-owners"


def _unmigrated(snapshot: Snapshot) -> list[Any]:
    """Everything still owned by free text, by id (creation order)."""
    found: list[Any] = [
        *(o for o in snapshot.objective_list() if o.legacy_owner is not None),
        *(k for k in snapshot.key_result_list() if k.legacy_owner is not None),
        *(s for s in snapshot.action_steps.values() if s.legacy_owner is not None),
    ]
    return sorted(found, key=lambda e: str(e.id))


def owner_draft(snapshot: Snapshot) -> Draft[Member | None] | Unchanged[Member | None]:
    """The change that migrates the oldest free-text owner left (Unchanged(None): none left)."""
    left = _unmigrated(snapshot)
    if not left:
        return Unchanged(None)
    text: str = left[0].legacy_owner
    key = members.owner_key(text)
    ops: list[Op] = []
    owner = members.with_email(snapshot.member_list(), members.owner_email(text))
    if owner is None:
        owner = Member(
            id=new_id(),
            org_id=snapshot.org_id,
            name=members.owner_name(text),
            email=members.owner_email(text),
            role=MemberRole.VIEWER,
        )
        ops.append(created(owner))
    for entity in left:
        if members.owner_key(entity.legacy_owner) == key:
            ops.append(put(snapshot, replace(entity, owner_id=owner.id, legacy_owner=None)))
    made: Draft[Member | None] = Draft(KIND, ops, owner, "Member", owner.id)
    return made


async def migrate_owners(
    *, writer: Writer, org_id: str, now: datetime, actor: str = ACTOR
) -> list[Member]:
    """Migrate every free-text owner of the organization (see the module's doc); the members
    the changes were about, one per text migrated now."""
    done: list[Member] = []

    async def build(snapshot: Snapshot) -> Draft[Member | None] | Unchanged[Member | None]:
        return owner_draft(snapshot)

    while True:
        written = await writer.commit(org_id, build, actor=actor, at=now)
        if written.change is None or written.result is None:
            return done
        done.append(written.result)


async def migrate_every_organization(
    *, writer: Writer, store: Store, now: datetime, actor: str = ACTOR
) -> dict[str, int]:
    """Migrate the organizations whose documents still hold free-text owners (the store says
    which, so a start-up with nothing to migrate reads no organization); how many owners each
    had, by organization id."""
    migrated: dict[str, int] = {}
    for org_id in await store.organizations_with_legacy_owners():
        made = await migrate_owners(writer=writer, org_id=org_id, now=now, actor=actor)
        migrated[org_id] = len(made)
    return migrated
