"""An objective's progress set by hand, and cleared (GitLab issue 382433): each one change in the
log, kept in the objective's override history (`service.domain.override`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain import override as o
from service.domain.model import Objective, Override
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import cycle, objective, open_cycle, put
from service.okrs.objectives import ObjectiveChanged, objective_changed
from service.readmodel import Snapshot
from service.store import documents as d


async def set_progress_override(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    value: float,
    reason: str,
    now: datetime,
    actor: str | None = None,
    expires_at: datetime | None = None,
) -> ObjectiveChanged:
    """The objective answers `value` from now until `expires_at` (or until cleared), for
    `reason`. Sent again while the same override holds, nothing more is written."""
    at = d.to_millis(now)
    checked_value = o.checked_value(value)
    checked_reason = o.checked_reason(reason)
    checked_expiry = o.checked_expiry(expires_at, now=at)

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        current = objective(snapshot, objective_id)
        open_cycle(cycle(snapshot, current.cycle_id, field="objectiveId"), field="objectiveId")
        holding = o.active(current.overrides, at)
        if o.same_setting(
            holding,
            value=checked_value,
            reason=checked_reason,
            by=actor,
            expires_at=checked_expiry,
        ):
            return Unchanged(current.id)
        history = o.set_override(
            current.overrides,
            value=checked_value,
            reason=checked_reason,
            at=at,
            by=actor,
            expires_at=checked_expiry,
        )
        return _overridden("objectiveProgressOverride", snapshot, current, history)

    written = await writer.commit(org_id, build, actor=actor, at=at, field="objectiveId")
    return objective_changed(written.result, written.after)


async def clear_progress_override(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    now: datetime,
    actor: str | None = None,
) -> ObjectiveChanged:
    """The objective answers its computed progress again from now on; nothing is written when
    no override holds (cleared already, expired, or never set)."""
    at = d.to_millis(now)

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        current = objective(snapshot, objective_id)
        open_cycle(cycle(snapshot, current.cycle_id, field="objectiveId"), field="objectiveId")
        if o.active(current.overrides, at) is None:
            return Unchanged(current.id)
        history = o.clear_override(current.overrides, at=at, by=actor)
        return _overridden("objectiveProgressOverrideClear", snapshot, current, history)

    written = await writer.commit(org_id, build, actor=actor, at=at, field="objectiveId")
    return objective_changed(written.result, written.after)


def _overridden(
    kind: str, snapshot: Snapshot, current: Objective, history: tuple[Override, ...]
) -> Draft[str]:
    """The change that gives the objective its new override history."""
    updated = replace(current, overrides=history)
    return Draft(kind, [put(snapshot, updated)], current.id, "Objective", current.id)
