"""One organization's OKRs as plain JSON, out of a store and into another (`okrgraph export`,
`okrgraph import`).

The document holds the organization with its policy, its departments, cycles, objectives, key
results (their upstream dependencies in `dependsOn`, the objectives they serve besides their own
in `aligned` with each link's weight (absent from older exports: none), and in `createdAt` when
they were made, which starts a grace period without check-ins: null, or absent from older
exports, when unknown),
check-ins, action steps, initiatives and members: every stored field in camelCase, times as ISO
8601 with their UTC offset, dates as ISO dates. Owners are members' ids (`ownerId`); an export
made before members, whose `owner` is free text, is imported with that text as the owner to
migrate, and the import migrates it as `okrgraph migrate-owners` does (`service.okrs.migration`).
An import writes everything under new ids that keep the order of the old ones (lists ordered
by id read the same), rebuilds each key result's current value from its check-ins, and leaves
every number as it was. It refuses a slug that is taken and checks the whole document before
it writes anything; it writes through the organization's change log, a few changes in all
(`organizationImport`), so a store failure midway leaves the changes written so far.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from service.domain import members as member_rules
from service.domain import rules
from service.domain.errors import Conflict, DomainError
from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Member,
    Objective,
    Organization,
)
from service.okrs.check_ins import with_check_in
from service.okrs.commit import Draft, Writer
from service.okrs.common import created
from service.okrs.migration import migrate_owners
from service.okrs.organizations import valid_slug
from service.readmodel import ReadModel, Snapshot
from service.store import documents
from service.store.reads import CHECK_INS
from service.store.records import Op, Put
from service.transfer_codec import (
    TransferError,
    as_object,
    as_text,
    encode,
    entity,
)

FORMAT = "okrgraph.organization"
VERSION = 1
T = TypeVar("T")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=_Identified)


@dataclass(frozen=True, slots=True)
class Holdings:
    """An organization and everything it owns, as domain values."""

    organization: Organization
    departments: list[Department]
    cycles: list[Cycle]
    objectives: list[Objective]
    key_results: list[KeyResult]
    check_ins: list[CheckIn]
    action_steps: list[ActionStep]
    initiatives: list[Initiative]
    members: list[Member]

    def entities(self) -> list[_Identified]:
        """Everything in it, the organization first."""
        return [
            self.organization,
            *self.departments,
            *self.cycles,
            *self.objectives,
            *self.key_results,
            *self.check_ins,
            *self.action_steps,
            *self.initiatives,
            *self.members,
        ]


@dataclass(frozen=True, slots=True)
class Imported:
    """The organization an import made, and the new id of every old one."""

    organization: Organization
    ids: Mapping[str, str]


# Export -----------------------------------------------------------------------------------------
async def read_holdings(*, reads: ReadModel, slug: str) -> Holdings:
    """Everything the organization with `slug` owns; TransferError when there is none."""
    org_id = await reads.organization_id(slug)
    held = await reads.snapshot(org_id) if org_id is not None else None
    if held is None:
        raise TransferError(f"no organization with the slug {slug!r}")
    check_ins = await reads.store.list_check_ins(held.org_id, sorted(held.key_results))
    return Holdings(
        organization=held.organization,
        departments=_by_id(held.departments.values()),
        cycles=_by_id(held.cycles.values()),
        objectives=_by_id(held.objectives.values()),
        key_results=_by_id(held.key_results.values()),
        check_ins=sorted(check_ins, key=_recorded),
        action_steps=_by_id(held.action_steps.values()),
        initiatives=_by_id(held.initiatives.values()),
        members=_by_id(held.members.values()),
    )


async def export_organization(*, reads: ReadModel, slug: str, now: datetime) -> dict[str, Any]:
    """The organization with `slug` as a JSON-ready document, stamped `exportedAt` = `now`."""
    snapshot = await read_holdings(reads=reads, slug=slug)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": now.isoformat(),
        "organization": encode(snapshot.organization),
        "departments": [encode(d) for d in snapshot.departments],
        "cycles": [encode(c) for c in snapshot.cycles],
        "objectives": [encode(o) for o in snapshot.objectives],
        "keyResults": [encode(k) for k in snapshot.key_results],
        "checkIns": [encode(c) for c in snapshot.check_ins],
        "actionSteps": [encode(s) for s in snapshot.action_steps],
        "initiatives": [encode(i) for i in snapshot.initiatives],
        "members": [encode(m) for m in snapshot.members],
    }


def _by_id(items: Iterable[E]) -> list[E]:
    return sorted(items, key=lambda item: item.id)


# Import -----------------------------------------------------------------------------------------
def read_document(document: object) -> Holdings:
    """The snapshot an export document holds; TransferError when it is not one."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise TransferError(f"not an okrgraph export (its `format` must be {FORMAT!r})")
    if document.get("version") != VERSION:
        raise TransferError(f"unsupported export version {document.get('version')!r}")
    org_id = as_text(as_object(document.get("organization"), "organization").get("id"), "id")

    def items(key: str, kind: type[T]) -> list[T]:
        found = document.get(key, [])
        if not isinstance(found, list):
            raise TransferError(f"{key}: expected a list")
        return [entity(kind, _legacy(item), org_id, f"{key}[{n}]") for n, item in enumerate(found)]

    snapshot = Holdings(
        organization=entity(Organization, document["organization"], org_id, "organization"),
        departments=items("departments", Department),
        cycles=items("cycles", Cycle),
        objectives=items("objectives", Objective),
        key_results=items("keyResults", KeyResult),
        check_ins=items("checkIns", CheckIn),
        action_steps=items("actionSteps", ActionStep),
        initiatives=items("initiatives", Initiative),
        members=items("members", Member),
    )
    _check_references(snapshot)
    _check_values(snapshot)
    _check_members(snapshot.members)
    return snapshot


def _legacy(item: object) -> object:
    """An item of an export made before members: its free-text `owner` is the owner to
    migrate (`legacyOwner`)."""
    if (
        isinstance(item, Mapping)
        and isinstance(item.get("owner"), str)
        and item.get("legacyOwner") is None
    ):
        return {**{k: v for k, v in item.items() if k != "owner"}, "legacyOwner": item["owner"]}
    return item


def _check_members(found: Sequence[Member]) -> None:
    """Members' names and emails hold what the API accepts; no email (case aside) and no
    token subject belongs to two."""
    emails: set[str] = set()
    subjects: set[str] = set()
    for n, m in enumerate(found):
        try:
            member_rules.name(m.name)
            member_rules.email(m.email)
        except DomainError as error:
            raise TransferError(f"members[{n}]: {error.message}") from error
        if m.email_key in emails:
            raise TransferError(f"members[{n}]: the email {m.email!r} belongs to two members")
        if m.subject is not None and m.subject in subjects:
            raise TransferError(f"members[{n}]: the subject {m.subject!r} belongs to two members")
        emails.add(m.email_key)
        if m.subject is not None:
            subjects.add(m.subject)


def _check_values(snapshot: Holdings) -> None:
    """The numbers hold what the API would accept: values within the bounds, a target apart
    from its start, a cost that is free or not almost zero."""
    checks: list[tuple[str, Callable[[], object]]] = []
    for n, k in enumerate(snapshot.key_results):
        where = f"keyResults[{n}]"
        checks += [
            (f"{where}.startValue", partial(rules.amount, k.start_value, field="startValue")),
            (f"{where}.targetValue", partial(rules.amount, k.target_value, field="targetValue")),
            (
                f"{where}.targetValue",
                partial(rules.measurable, k.kind, k.start_value, k.target_value),
            ),
            *(
                (f"{where}.aligned[{a}].weight", partial(rules.weight, link.weight))
                for a, link in enumerate(k.aligned)
            ),
        ]
    checks += [
        (f"checkIns[{n}].value", partial(rules.amount, c.value, field="value"))
        for n, c in enumerate(snapshot.check_ins)
    ]
    for n, i in enumerate(snapshot.initiatives):
        checks += [
            (f"initiatives[{n}].cost", partial(rules.cost, i.cost)),
            (
                f"initiatives[{n}].expectedValue",
                partial(rules.amount, i.expected_value, field="expectedValue"),
            ),
        ]
    for where, check in checks:
        try:
            check()
        except DomainError as error:
            raise TransferError(f"{where}: {error.message}") from error


BATCH = 500
"""Documents written by one change of an import."""


async def import_organization(
    *,
    writer: Writer,
    document: object,
    now: datetime,
    slug: str | None = None,
    actor: str | None = "okrgraph import",
) -> Imported:
    """Write an export document under new ids, as `slug` (default: the exported slug), through
    the new organization's change log, then migrate its free-text owners (an export made before
    members) as `okrgraph migrate-owners` does; TransferError when the document is not an
    export or the slug is taken."""
    source = read_document(document)
    target = slug if slug is not None else source.organization.slug
    try:
        valid_slug(target)
    except DomainError as error:
        raise TransferError(f"slug {target!r}: {error.message}") from error
    if await writer.store.get_organization_by_slug(target) is not None:
        raise TransferError(f"an organization with the slug {target!r} exists already")
    ids = _new_ids(source)
    new = _renamed(source, ids, target)
    org = new.organization
    current = {k.id: k for k in new.key_results}
    for check_in in new.check_ins:  # oldest first: each one moves its key result as it did
        moved = with_check_in(current[check_in.key_result_id], check_in, now)
        current[check_in.key_result_id] = moved
    ops: list[Op] = [
        created(e)
        for e in (
            org,
            *new.departments,
            *new.cycles,
            *new.objectives,
            *current.values(),
            *new.action_steps,
            *new.initiatives,
            *new.members,
        )
    ]
    ops += [Put(CHECK_INS, documents.check_in_doc(c)) for c in new.check_ins]
    batches = [ops[start : start + BATCH] for start in range(0, len(ops), BATCH)]
    for number, batch in enumerate(batches):

        async def build(snapshot: Snapshot, batch: list[Op] = batch) -> Draft[None]:
            return Draft("organizationImport", batch, None, "Organization", org.id)

        try:
            await writer.commit(
                org.id, build, actor=actor, at=now, creating=org if number == 0 else None
            )
        except Conflict as error:
            raise TransferError(
                f"an organization with the slug {target!r} exists already"
            ) from error
    await migrate_owners(writer=writer, org_id=org.id, now=now, actor=actor or "okrgraph import")
    return Imported(organization=org, ids=ids)


def _new_ids(source: Holdings) -> dict[str, str]:
    """A new id for every old one, in the old ids' order: 48-bit milliseconds (as `new_id`),
    32 random bits, then a counter."""
    old = {item.id for item in source.entities()}
    prefix = f"{time.time_ns() // 1_000_000:012x}{os.urandom(4).hex()}"
    return {old_id: f"{prefix}{n:012x}" for n, old_id in enumerate(sorted(old))}


def _renamed(source: Holdings, ids: Mapping[str, str], slug: str) -> Holdings:
    """The snapshot under the new ids. Links to what the export does not hold (a key result
    carried over from one deleted since) are dropped; the structural ones were checked."""
    org = ids[source.organization.id]

    def opt(old: str | None) -> str | None:
        return None if old is None else ids.get(old)

    def known(old: Sequence[str]) -> tuple[str, ...]:
        return tuple(ids[i] for i in old if i in ids)

    return Holdings(
        organization=replace(source.organization, id=org, slug=slug),
        departments=[replace(d, id=ids[d.id], org_id=org) for d in source.departments],
        cycles=[
            replace(c, id=ids[c.id], org_id=org, parent_id=opt(c.parent_id)) for c in source.cycles
        ],
        objectives=[
            replace(
                o,
                id=ids[o.id],
                org_id=org,
                cycle_id=ids[o.cycle_id],
                parent_id=opt(o.parent_id),
                department_id=opt(o.department_id),
                carried_over_from=opt(o.carried_over_from),
                owner_id=opt(o.owner_id),
            )
            for o in source.objectives
        ],
        key_results=[
            replace(
                k,
                id=ids[k.id],
                org_id=org,
                objective_id=ids[k.objective_id],
                cycle_id=ids[k.cycle_id],
                department_id=opt(k.department_id),
                owner_id=opt(k.owner_id),
                depends_on=known(k.depends_on),
                aligned=tuple(replace(a, objective_id=ids[a.objective_id]) for a in k.aligned),
                carried_over_from=opt(k.carried_over_from),
                # The check-ins, oldest first, set it as they were set.
                current_value=k.start_value,
                confidence=None,
                last_check_in_at=None,
                last_check_in_id=None,
                upcoming=(),
            )
            for k in source.key_results
        ],
        check_ins=[
            replace(
                c,
                id=_check_in_id(ids[c.key_result_id], c.idempotency_key) or ids[c.id],
                org_id=org,
                key_result_id=ids[c.key_result_id],
                sequence=0,
            )
            for c in sorted(source.check_ins, key=_recorded)
        ],
        action_steps=[
            replace(
                s,
                id=ids[s.id],
                org_id=org,
                objective_id=ids[s.objective_id],
                owner_id=opt(s.owner_id),
            )
            for s in source.action_steps
        ],
        initiatives=[
            replace(
                i,
                id=ids[i.id],
                org_id=org,
                key_result_ids=known(i.key_result_ids),
                owner_id=opt(i.owner_id),
            )
            for i in source.initiatives
        ],
        members=[replace(m, id=ids[m.id], org_id=org) for m in source.members],
    )


def _recorded(check_in: CheckIn) -> tuple[datetime, int, str, str]:
    """Check-ins oldest first; at one instant in the order they were written, then by key
    result (whose ids keep their order through an import), then by id."""
    return (check_in.recorded_at, check_in.sequence, check_in.key_result_id, check_in.id)


def _check_in_id(key_result_id: str, idempotency_key: str | None) -> str | None:
    """A keyed check-in's id is made from its key (so a retry of the key finds it)."""
    if idempotency_key is None:
        return None
    return documents.keyed_check_in_id(documents.idempotency_dedup(key_result_id, idempotency_key))


def _check_references(snapshot: Holdings) -> None:
    """Every id that places an item (its cycle, objective, key result, parent, department)
    names an item of the document, and no id is used twice."""
    departments = {d.id for d in snapshot.departments}
    people = {m.id for m in snapshot.members}
    cycles = {c.id for c in snapshot.cycles}
    objectives = {o.id for o in snapshot.objectives}
    key_results = {k.id for k in snapshot.key_results}
    everything = [item.id for item in snapshot.entities()]
    if len(set(everything)) != len(everything):
        raise TransferError("an id is used twice in the document")
    links: list[tuple[str, str | None, set[str]]] = []
    links += [(f"cycle {c.id} parentId", c.parent_id, cycles) for c in snapshot.cycles]
    for o in snapshot.objectives:
        links += [
            (f"objective {o.id} cycleId", o.cycle_id, cycles),
            (f"objective {o.id} parentId", o.parent_id, objectives),
            (f"objective {o.id} departmentId", o.department_id, departments),
            (f"objective {o.id} ownerId", o.owner_id, people),
        ]
    for k in snapshot.key_results:
        links += [
            (f"key result {k.id} objectiveId", k.objective_id, objectives),
            (f"key result {k.id} cycleId", k.cycle_id, cycles),
            (f"key result {k.id} departmentId", k.department_id, departments),
            (f"key result {k.id} ownerId", k.owner_id, people),
            *((f"key result {k.id} aligned", a.objective_id, objectives) for a in k.aligned),
        ]
    links += [
        (f"check-in {c.id} keyResultId", c.key_result_id, key_results) for c in snapshot.check_ins
    ]
    for s in snapshot.action_steps:
        links += [
            (f"action step {s.id} objectiveId", s.objective_id, objectives),
            (f"action step {s.id} ownerId", s.owner_id, people),
        ]
    links += [(f"initiative {i.id} ownerId", i.owner_id, people) for i in snapshot.initiatives]
    for where, target, among in links:
        if target is not None and target not in among:
            raise TransferError(f"{where} names {target!r}, which the document does not hold")
    _check_links(snapshot)


def _check_links(snapshot: Holdings) -> None:
    """Each key result serves an objective at most once (its own included), and only
    objectives of its own year, as `keyResultAlign` allows."""
    year_of = {o.id: o.year for o in snapshot.objectives}
    for k in snapshot.key_results:
        served = [link.objective_id for link in k.links]
        if len(set(served)) != len(served):
            raise TransferError(f"key result {k.id} aligned: it serves an objective twice")
        for link in k.aligned:
            if year_of[link.objective_id] != k.year:
                raise TransferError(
                    f"key result {k.id} aligned: objective {link.objective_id!r} is of another year"
                )


# JSON <-> domain values -------------------------------------------------------------------------
