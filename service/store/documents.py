"""Domain entities to MongoDB documents and back.

Documents use camelCase fields, string `_id`s and an `orgId` on everything but organizations.
Numbers are floats, enums their string values, tuples lists, dates ISO strings. Datetimes are
BSON dates (UTC, to the millisecond: that is all BSON keeps), and only ever written whole by an
insert or a replace: nx-27017 turns a datetime written by `$set` into a string.

Arrays (`dependsOn`, `aligned`, `keyResultIds`) are always present, even empty: nx-27017's
`$addToSet` does nothing on a missing field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    CycleKind,
    Department,
    Initiative,
    KeyResult,
    KeyResultKind,
    Link,
    Member,
    MemberRole,
    Objective,
    Organization,
    Override,
    Policy,
    Upcoming,
)
from service.store.records import digest

Doc = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Shifts every representable time to a positive number of milliseconds, so that a fixed-width
# decimal string of it sorts like the time itself (year 1 is about -6.2e13 ms).
_KEY_OFFSET_MS = 10**15
NO_CHECK_IN = ""


def to_millis(at: datetime) -> datetime:
    """The UTC time as BSON keeps it: truncated to the millisecond."""
    at = utc(at)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def utc(value: datetime) -> datetime:
    """An aware UTC datetime: drivers hand back naive UTC unless asked for tz-aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def newest_key(recorded_at: datetime, check_in_id: str) -> str:
    """A string that sorts like (recordedAt, id): the key result's `lastCheckInKey`.

    One string compared with `$lt` keeps the "newest check-in wins" update to a single
    condition. An `$or` over a null field, a time and an id is wrong on nx-27017 (an explicit
    null inside `$or` never matches), so the store does not use one.
    """
    millis = (to_millis(recorded_at) - _EPOCH) // timedelta(milliseconds=1)
    return f"{millis + _KEY_OFFSET_MS:016d}/{check_in_id}"


def time_of_key(key: str | None) -> datetime | None:
    """The recordedAt a `newest_key` was made from; None for no check-in."""
    if not key:
        return None
    return _EPOCH + timedelta(milliseconds=int(key[:16]) - _KEY_OFFSET_MS)


def id_of_key(key: str | None) -> str | None:
    """The check-in id a `newest_key` was made from; None for no check-in (or none known)."""
    if not key:
        return None
    return key[17:] or None


def idempotency_dedup(key_result_id: str, idempotency_key: str) -> str:
    """The unique key of a check-in sent with an idempotency key: a digest of the key result
    and the key, so that any text (a NUL character included) is a safe index key."""
    return "key:" + digest("checkIn", key_result_id, idempotency_key)


def keyed_check_in_id(dedup: str) -> str:
    """The id of a check-in sent with an idempotency key (`dedup` is its `idempotency_dedup`):
    made from the key, so that a retry finds the first attempt by `_id`, the one lookup every
    backend answers from its key (the embedded store scans the collection for any other)."""
    return digest("checkInId", dedup)[:32]


def dedup_key(check_in: CheckIn) -> str:
    """The unique key of a check-in: its key result and idempotency key when it has one, else
    its own id. A plain unique index on it behaves the same on every backend, where a partial
    index does not (nx-27017 ignores `partialFilterExpression`)."""
    if check_in.idempotency_key is None:
        return f"id:{check_in.id}"
    return idempotency_dedup(check_in.key_result_id, check_in.idempotency_key)


def cycle_slot(cycle: Cycle) -> str:
    """What makes a cycle unique in its organization, as one string: a compound unique index
    with nulls in it (a YEAR has no quarter) never clashes on nx-27017."""
    return f"{cycle.kind.value}:{cycle.year}:{cycle.quarter or 0}:{cycle.month or 0}"


def _float(value: Any) -> float:
    return float(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


# Organizations ---------------------------------------------------------------------------------
def policy_doc(policy: Policy) -> Doc:
    return {
        "onTrackRatio": float(policy.on_track_ratio),
        "atRiskRatio": float(policy.at_risk_ratio),
        "maxObjectivesPerTeam": policy.max_objectives_per_team,
        "minObjectivesPerTeam": policy.min_objectives_per_team,
        "roiThreshold": float(policy.roi_threshold),
        "staleAfterDays": policy.stale_after_days,
        "checkInCadenceDays": policy.check_in_cadence_days,
    }


def organization_doc(org: Organization) -> Doc:
    return {
        "_id": org.id,
        "name": org.name,
        "slug": org.slug,
        "mission": org.mission,
        "vision": org.vision,
        "policy": policy_doc(org.policy),
    }


def organization_of(doc: Doc) -> Organization:
    p = doc.get("policy") or {}
    default = Policy()
    return Organization(
        id=doc["_id"],
        name=doc["name"],
        slug=doc["slug"],
        mission=doc.get("mission"),
        vision=doc.get("vision"),
        policy=Policy(
            on_track_ratio=float(p.get("onTrackRatio", default.on_track_ratio)),
            at_risk_ratio=float(p.get("atRiskRatio", default.at_risk_ratio)),
            max_objectives_per_team=int(
                p.get("maxObjectivesPerTeam", default.max_objectives_per_team)
            ),
            min_objectives_per_team=int(
                p.get("minObjectivesPerTeam", default.min_objectives_per_team)
            ),
            roi_threshold=float(p.get("roiThreshold", default.roi_threshold)),
            stale_after_days=int(p.get("staleAfterDays", default.stale_after_days)),
            check_in_cadence_days=int(p.get("checkInCadenceDays", default.check_in_cadence_days)),
        ),
    )


# Departments and cycles ------------------------------------------------------------------------
def department_doc(department: Department) -> Doc:
    return {"_id": department.id, "orgId": department.org_id, "name": department.name}


def department_of(doc: Doc) -> Department:
    return Department(id=doc["_id"], org_id=doc["orgId"], name=doc["name"])


def cycle_doc(cycle: Cycle) -> Doc:
    return {
        "_id": cycle.id,
        "orgId": cycle.org_id,
        "kind": cycle.kind.value,
        "year": cycle.year,
        "quarter": cycle.quarter,
        "month": cycle.month,
        "slot": cycle_slot(cycle),
        "startsAt": to_millis(cycle.starts_at),
        "endsAt": to_millis(cycle.ends_at),
        "parentId": cycle.parent_id,
        "closed": cycle.closed,
        "closedAt": None if cycle.closed_at is None else to_millis(cycle.closed_at),
    }


def cycle_of(doc: Doc) -> Cycle:
    closed_at = doc.get("closedAt")
    return Cycle(
        id=doc["_id"],
        org_id=doc["orgId"],
        kind=CycleKind(doc["kind"]),
        year=int(doc["year"]),
        starts_at=utc(doc["startsAt"]),
        ends_at=utc(doc["endsAt"]),
        quarter=doc.get("quarter"),
        month=doc.get("month"),
        parent_id=doc.get("parentId"),
        closed=bool(doc.get("closed", False)),
        closed_at=None if closed_at is None else utc(closed_at),
    )


# Objectives and key results --------------------------------------------------------------------
def objective_fields(objective: Objective) -> Doc:
    """Every field but the ids that never change (`_id`, `orgId`)."""
    return {
        "cycleId": objective.cycle_id,
        "year": objective.year,
        "title": objective.title,
        "description": objective.description,
        "parentId": objective.parent_id,
        "departmentId": objective.department_id,
        "ownerId": objective.owner_id,
        "owner": objective.legacy_owner,
        "weight": float(objective.weight),
        "lessonsLearned": objective.lessons_learned,
        "score": _opt_float(objective.score),
        "carriedOverFrom": objective.carried_over_from,
        "overrides": [override_doc(o) for o in objective.overrides],
    }


def _instant_text(at: datetime | None) -> str | None:
    """An instant inside an array, as text: a date inside an array is not kept alike by every
    backend."""
    return None if at is None else to_millis(at).isoformat()


def _instant_of(text: str | None) -> datetime | None:
    return None if text is None else utc(datetime.fromisoformat(text))


def override_doc(override: Override) -> Doc:
    """One entry of an objective's override history."""
    return {
        "value": float(override.value),
        "reason": override.reason,
        "setAt": _instant_text(override.set_at),
        "setBy": override.set_by,
        "expiresAt": _instant_text(override.expires_at),
        "clearedAt": _instant_text(override.cleared_at),
        "clearedBy": override.cleared_by,
        # Only once announced: the documents of overrides that never expired stay as they were.
        **({"expired": True} if override.expired else {}),
    }


def override_of(doc: Doc) -> Override:
    set_at = _instant_of(doc["setAt"])
    assert set_at is not None  # every override was set at some instant
    return Override(
        value=_float(doc["value"]),
        reason=doc["reason"],
        set_at=set_at,
        set_by=doc.get("setBy"),
        expires_at=_instant_of(doc.get("expiresAt")),
        cleared_at=_instant_of(doc.get("clearedAt")),
        cleared_by=doc.get("clearedBy"),
        expired=bool(doc.get("expired", False)),
    )


def objective_doc(objective: Objective) -> Doc:
    return {"_id": objective.id, "orgId": objective.org_id, **objective_fields(objective)}


def objective_of(doc: Doc) -> Objective:
    return Objective(
        id=doc["_id"],
        org_id=doc["orgId"],
        cycle_id=doc["cycleId"],
        year=int(doc["year"]),
        title=doc["title"],
        description=doc.get("description"),
        parent_id=doc.get("parentId"),
        department_id=doc.get("departmentId"),
        owner_id=doc.get("ownerId"),
        legacy_owner=doc.get("owner"),
        weight=_float(doc.get("weight", 1.0)),
        lessons_learned=doc.get("lessonsLearned"),
        score=_opt_float(doc.get("score")),
        carried_over_from=doc.get("carriedOverFrom"),
        overrides=tuple(override_of(o) for o in doc.get("overrides") or ()),
    )


def key_result_editable(key_result: KeyResult) -> Doc:
    """The fields `update_key_result` replaces."""
    return {
        "title": key_result.title,
        "kind": key_result.kind.value,
        "unit": key_result.unit,
        "startValue": float(key_result.start_value),
        "targetValue": float(key_result.target_value),
        "ownerId": key_result.owner_id,
        "owner": key_result.legacy_owner,
        "departmentId": key_result.department_id,
        "weight": float(key_result.weight),
        "score": _opt_float(key_result.score),
    }


def key_result_doc(key_result: KeyResult) -> Doc:
    last = key_result.last_check_in_at
    return {
        "_id": key_result.id,
        "orgId": key_result.org_id,
        "objectiveId": key_result.objective_id,
        "cycleId": key_result.cycle_id,
        "year": key_result.year,
        **key_result_editable(key_result),
        "currentValue": float(key_result.current_value),
        "dependsOn": list(key_result.depends_on),
        # The objectives it serves besides its own, in the order they were aligned.
        "aligned": [
            {"objectiveId": link.objective_id, "weight": float(link.weight)}
            for link in key_result.aligned
        ],
        # An empty id part sorts before any check-in recorded at the same millisecond.
        "lastCheckInKey": NO_CHECK_IN
        if last is None
        else newest_key(last, key_result.last_check_in_id or ""),
        "confidence": _opt_float(key_result.confidence),
        "carriedOverFrom": key_result.carried_over_from,
        "upcoming": [
            {
                # As text: a date inside an array is not kept alike by every backend.
                "at": to_millis(u.at).isoformat(),
                "value": float(u.value),
                "confidence": _opt_float(u.confidence),
                "id": u.check_in_id,
            }
            for u in key_result.upcoming
        ],
        # Written whole (see the module docstring).
        "createdAt": None if key_result.created_at is None else to_millis(key_result.created_at),
    }


def key_result_of(doc: Doc) -> KeyResult:
    created = doc.get("createdAt")
    return KeyResult(
        id=doc["_id"],
        org_id=doc["orgId"],
        objective_id=doc["objectiveId"],
        cycle_id=doc["cycleId"],
        year=int(doc["year"]),
        title=doc["title"],
        kind=KeyResultKind(doc["kind"]),
        start_value=_float(doc["startValue"]),
        target_value=_float(doc["targetValue"]),
        current_value=_float(doc["currentValue"]),
        unit=doc.get("unit"),
        department_id=doc.get("departmentId"),
        owner_id=doc.get("ownerId"),
        legacy_owner=doc.get("owner"),
        weight=_float(doc.get("weight", 1.0)),
        depends_on=tuple(doc.get("dependsOn") or ()),
        # Key results stored before links were kept serve their own objective only.
        aligned=tuple(
            Link(a["objectiveId"], _float(a["weight"])) for a in doc.get("aligned") or ()
        ),
        last_check_in_at=time_of_key(doc.get("lastCheckInKey")),
        confidence=_opt_float(doc.get("confidence")),
        score=_opt_float(doc.get("score")),
        carried_over_from=doc.get("carriedOverFrom"),
        # Key results stored before `createdAt` was kept have none: as old as their cycle.
        created_at=None if created is None else utc(created),
        last_check_in_id=id_of_key(doc.get("lastCheckInKey")),
        upcoming=tuple(
            Upcoming(
                at=datetime.fromisoformat(u["at"]),
                value=_float(u["value"]),
                confidence=_opt_float(u.get("confidence")),
                check_in_id=u["id"],
            )
            for u in doc.get("upcoming") or ()
        ),
    )


# Check-ins -------------------------------------------------------------------------------------
def check_in_doc(check_in: CheckIn) -> Doc:
    return {
        "_id": check_in.id,
        "orgId": check_in.org_id,
        "keyResultId": check_in.key_result_id,
        "value": float(check_in.value),
        "recordedAt": to_millis(check_in.recorded_at),
        "confidence": _opt_float(check_in.confidence),
        "note": check_in.note,
        "author": check_in.author,
        "idempotencyKey": check_in.idempotency_key,
        "dedupKey": dedup_key(check_in),
    }


def check_in_of(doc: Doc) -> CheckIn:
    return CheckIn(
        id=doc["_id"],
        org_id=doc["orgId"],
        key_result_id=doc["keyResultId"],
        value=_float(doc["value"]),
        recorded_at=utc(doc["recordedAt"]),
        confidence=_opt_float(doc.get("confidence")),
        note=doc.get("note"),
        author=doc.get("author"),
        idempotency_key=doc.get("idempotencyKey"),
        sequence=int(doc.get("rev") or 0),
    )


# Action steps and initiatives ------------------------------------------------------------------
def action_step_doc(step: ActionStep) -> Doc:
    return {
        "_id": step.id,
        "orgId": step.org_id,
        "objectiveId": step.objective_id,
        "title": step.title,
        "position": step.position,
        "ownerId": step.owner_id,
        "owner": step.legacy_owner,
        "dueOn": None if step.due_on is None else step.due_on.isoformat(),
        "done": step.done,
    }


def action_step_of(doc: Doc) -> ActionStep:
    due = doc.get("dueOn")
    return ActionStep(
        id=doc["_id"],
        org_id=doc["orgId"],
        objective_id=doc["objectiveId"],
        title=doc["title"],
        position=int(doc["position"]),
        owner_id=doc.get("ownerId"),
        legacy_owner=doc.get("owner"),
        due_on=None if due is None else date.fromisoformat(due),
        done=bool(doc.get("done", False)),
    )


def initiative_doc(initiative: Initiative) -> Doc:
    return {
        "_id": initiative.id,
        "orgId": initiative.org_id,
        "title": initiative.title,
        "cost": float(initiative.cost),
        "expectedValue": float(initiative.expected_value),
        "keyResultIds": list(initiative.key_result_ids),
        "ownerId": initiative.owner_id,
    }


def initiative_of(doc: Doc) -> Initiative:
    return Initiative(
        id=doc["_id"],
        org_id=doc["orgId"],
        title=doc["title"],
        cost=_float(doc["cost"]),
        expected_value=_float(doc["expectedValue"]),
        key_result_ids=tuple(doc.get("keyResultIds") or ()),
        owner_id=doc.get("ownerId"),
    )


# Members ---------------------------------------------------------------------------------------
def member_doc(member: Member) -> Doc:
    return {
        "_id": member.id,
        "orgId": member.org_id,
        "name": member.name,
        "email": member.email,
        "emailKey": member.email_key,
        "role": member.role.value,
        "active": member.active,
        "subject": member.subject,
    }


def member_of(doc: Doc) -> Member:
    return Member(
        id=doc["_id"],
        org_id=doc["orgId"],
        name=doc["name"],
        email=doc["email"],
        role=MemberRole(doc.get("role", MemberRole.VIEWER.value)),
        active=bool(doc.get("active", True)),
        subject=doc.get("subject"),
    )
