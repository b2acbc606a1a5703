"""Organizations, their policy and their departments."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime

from service.domain import rules
from service.domain.errors import Conflict, ErrorCode, InvalidInput
from service.domain.model import Department, Organization, Policy
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import created, new_id, put
from service.readmodel import Snapshot
from service.store.records import digest

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a full match: no newline after it
MAX_SLUG = 64


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """The policy fields to change; None leaves a field as it is."""

    on_track_ratio: float | None = None
    at_risk_ratio: float | None = None
    max_objectives_per_team: int | None = None
    min_objectives_per_team: int | None = None
    roi_threshold: float | None = None
    stale_after_days: int | None = None
    check_in_cadence_days: int | None = None


def valid_slug(slug: str) -> str:
    """Lowercase letters, digits and single hyphens, at most 64 characters."""
    if not SLUG.fullmatch(slug) or len(slug) > MAX_SLUG:
        raise InvalidInput(
            "slug must be lowercase letters, digits and single hyphens, at most 64 characters",
            field=("slug",),
            code=ErrorCode.INVALID_TEXT,
        )
    return slug


def _finite(value: float, name: str) -> float:
    """A finite policy number; a refusal names the field inside `policy`, as the others do."""
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number", field=("policy", name))
    return float(value)


def valid_policy(policy: Policy) -> Policy:
    """Thresholds ordered 0 <= atRisk <= onTrack <= 1; objective limits 1 <= min <= max."""
    on_track = _finite(policy.on_track_ratio, "onTrackRatio")
    at_risk = _finite(policy.at_risk_ratio, "atRiskRatio")
    if not 0 < on_track <= 1:
        raise InvalidInput("onTrackRatio must be in (0, 1]", field=("policy", "onTrackRatio"))
    if not 0 <= at_risk <= on_track:
        raise InvalidInput(
            "atRiskRatio must be between 0 and onTrackRatio", field=("policy", "atRiskRatio")
        )
    if policy.max_objectives_per_team < 1:
        raise InvalidInput(
            "maxObjectivesPerTeam must be at least 1", field=("policy", "maxObjectivesPerTeam")
        )
    if not 0 <= policy.min_objectives_per_team <= policy.max_objectives_per_team:
        raise InvalidInput(
            "minObjectivesPerTeam must be between 0 and maxObjectivesPerTeam",
            field=("policy", "minObjectivesPerTeam"),
        )
    _finite(policy.roi_threshold, "roiThreshold")
    if not 1 <= policy.stale_after_days <= 366:
        raise InvalidInput(
            "staleAfterDays must be between 1 and 366", field=("policy", "staleAfterDays")
        )
    if not 1 <= policy.check_in_cadence_days <= 366:
        raise InvalidInput(
            "checkInCadenceDays must be between 1 and 366",
            field=("policy", "checkInCadenceDays"),
        )
    return policy


async def create_organization(
    *,
    writer: Writer,
    name: str,
    slug: str,
    now: datetime,
    actor: str | None = None,
    mission: str | None = None,
    vision: str | None = None,
) -> Organization:
    """A new organization; its slug is unique and never changes."""
    org = Organization(
        id=new_id(),
        name=rules.text(name, field="name"),
        slug=valid_slug(slug),
        mission=rules.optional_text(mission, field="mission"),
        vision=rules.optional_text(vision, field="vision"),
    )
    taken = Conflict(f"the slug {slug!r} is taken", field=("slug",))

    async def build(snapshot: Snapshot) -> Draft[Organization]:
        if await writer.store.get_organization_by_slug(org.slug) is not None:
            raise taken
        # The slug's key makes the log itself refuse a second organization of the slug, should
        # two be created at once (each in its own, new log).
        dedup = "organization:" + digest(org.slug)
        return Draft("organizationCreate", [created(org)], org, "Organization", org.id, dedup)

    written = await writer.commit(org.id, build, actor=actor, at=now, creating=org)
    return written.result


async def update_organization(
    *,
    writer: Writer,
    org_id: str,
    now: datetime,
    actor: str | None = None,
    name: str | None = None,
    mission: str | None = None,
    vision: str | None = None,
    policy: PolicyChange | None = None,
) -> Organization:
    """Change name, mission, vision or policy; fields left None stay as they are."""
    new_name = rules.text(name, field="name") if name is not None else None

    async def build(snapshot: Snapshot) -> Draft[Organization] | Unchanged[Organization]:
        org = snapshot.organization
        updated = org
        if new_name is not None:
            updated = replace(updated, name=new_name)
        if mission is not None:
            updated = replace(updated, mission=rules.optional_text(mission, field="mission"))
        if vision is not None:
            updated = replace(updated, vision=rules.optional_text(vision, field="vision"))
        if policy is not None:
            updated = replace(updated, policy=valid_policy(_merged(org.policy, policy)))
        if updated == org:
            return Unchanged(org)
        return Draft(
            "organizationUpdate", [put(snapshot, updated)], updated, "Organization", org.id
        )

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return written.after.organization


def _merged(policy: Policy, change: PolicyChange) -> Policy:
    given = {f.name: getattr(change, f.name) for f in fields(change)}
    return replace(policy, **{name: value for name, value in given.items() if value is not None})


async def create_department(
    *, writer: Writer, org_id: str, name: str, now: datetime, actor: str | None = None
) -> Department:
    """A new department; names are unique within an organization."""
    cleaned = rules.text(name, field="name")

    async def build(snapshot: Snapshot) -> Draft[Department]:
        if any(d.name == cleaned for d in snapshot.departments.values()):
            raise Conflict(
                f"the organization already has a department named {cleaned!r}", field=("name",)
            )
        made = Department(id=new_id(), org_id=org_id, name=cleaned)
        return Draft("departmentCreate", [created(made)], made, "Department", made.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="organizationId")).result
