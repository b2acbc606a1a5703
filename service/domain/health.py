"""The health report of a cycle (DOMAIN.md §2 warnings, §4, §5): what a coach would point at.

Pure: it reads an evaluation of the year and returns findings, each with a code, a message and
the node it concerns.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from service.domain.explain import fmt_instant
from service.domain.model import CycleKind, Department, Initiative, KeyResult, Member
from service.domain.progress import silent_since
from service.domain.rollup import Evaluation
from service.domain.rules import team_limit_cycles


class FindingCode(enum.StrEnum):
    """What a finding is about."""

    TOO_MANY_OBJECTIVES = "TOO_MANY_OBJECTIVES"
    TOO_FEW_OBJECTIVES = "TOO_FEW_OBJECTIVES"
    OBJECTIVE_WITHOUT_KEY_RESULTS = "OBJECTIVE_WITHOUT_KEY_RESULTS"
    UNALIGNED_OBJECTIVE = "UNALIGNED_OBJECTIVE"
    KEY_RESULT_WITHOUT_OWNER = "KEY_RESULT_WITHOUT_OWNER"
    KEY_RESULT_WITHOUT_DEPARTMENT = "KEY_RESULT_WITHOUT_DEPARTMENT"
    STALE_KEY_RESULT = "STALE_KEY_RESULT"
    DEPENDENCY_RISK = "DEPENDENCY_RISK"
    UNALIGNED_INITIATIVE = "UNALIGNED_INITIATIVE"
    LOW_ROI_INITIATIVE = "LOW_ROI_INITIATIVE"
    OWNER_INACTIVE = "OWNER_INACTIVE"


class NodeKind(enum.StrEnum):
    """The kind of node a finding points at."""

    DEPARTMENT = "Department"
    OBJECTIVE = "Objective"
    KEY_RESULT = "KeyResult"
    INITIATIVE = "Initiative"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to look at."""

    code: FindingCode
    message: str
    node_kind: NodeKind
    node_id: str


def _inside(evaluation: Evaluation, cycle_id: str) -> list[str]:
    """The cycle and every cycle inside it, outermost first."""
    found = [cycle_id]
    for c in found:
        found += [x.id for x in evaluation.cycles.values() if x.parent_id == c]
    return found


def team_limits(
    evaluation: Evaluation, cycle_ids: Sequence[str], departments: Iterable[Department]
) -> list[Finding]:
    """Teams above the policy's maximum or below its minimum of objectives in a quarter, the
    months inside it included (DOMAIN.md §2)."""
    policy = evaluation.policy
    found: list[Finding] = []
    quarters = [c for c in cycle_ids if evaluation.cycles[c].kind is CycleKind.QUARTER]
    for quarter in quarters:
        counted = team_limit_cycles(evaluation.cycles[quarter], evaluation.cycles.values())
        label = evaluation.cycles[quarter].label
        if len(counted) > 1:
            label = f"{label} and its months"
        for team in departments:
            count = sum(
                1
                for o in evaluation.objectives.values()
                if o.cycle_id in counted and o.department_id == team.id
            )
            if count > policy.max_objectives_per_team:
                code, rule = (
                    FindingCode.TOO_MANY_OBJECTIVES,
                    f"at most {policy.max_objectives_per_team}",
                )
            elif count < policy.min_objectives_per_team:
                code, rule = (
                    FindingCode.TOO_FEW_OBJECTIVES,
                    f"at least {policy.min_objectives_per_team}",
                )
            else:
                continue
            counted_text = f"{count} objective{'' if count == 1 else 's'}"
            message = f"{team.name} has {counted_text} in {label}; the policy asks {rule}"
            found.append(Finding(code, message, NodeKind.DEPARTMENT, team.id))
    return found


def _stale(kr: KeyResult, evaluation: Evaluation, window: timedelta) -> Finding | None:
    """A key result of an open, running cycle whose last check-in is older than the policy's
    window; one never checked in once its grace period is over (DOMAIN.md §3.3 step 3), when
    its silence stops being PENDING."""
    cycle = evaluation.cycles[kr.cycle_id]
    now = evaluation.now
    if cycle.closed or now < cycle.starts_at or now >= cycle.ends_at:
        return None
    last = kr.last_check_in_at
    if last is None:
        since = silent_since(cycle.starts_at, kr.created_at)
        if now - since < window:
            return None
        said = f"no check-in since {fmt_instant(since)}"
    elif now - last <= window:
        return None
    else:
        said = f"last check-in {(now - last).days} days ago"
    message = f"{kr.title!r}: {said}; the policy asks one every {window.days} days"
    return Finding(FindingCode.STALE_KEY_RESULT, message, NodeKind.KEY_RESULT, kr.id)


def key_result_findings(evaluation: Evaluation, cycle_ids: Sequence[str]) -> list[Finding]:
    """Objectives with nothing to measure; key results unowned, stale, or held back."""
    found: list[Finding] = []
    inside = set(cycle_ids)
    krs = [k for k in evaluation.key_results.values() if k.cycle_id in inside]
    measured = {link.objective_id for k in evaluation.key_results.values() for link in k.links}
    parents = {o.parent_id for o in evaluation.objectives.values()}
    for o in evaluation.objectives.values():
        if o.cycle_id in inside and o.id not in measured and o.id not in parents:
            message = f"{o.title!r} has no key result: nothing says whether it is achieved"
            found.append(
                Finding(
                    FindingCode.OBJECTIVE_WITHOUT_KEY_RESULTS, message, NodeKind.OBJECTIVE, o.id
                )
            )
        orphan = o.parent_id is None and evaluation.cycles[o.cycle_id].kind is not CycleKind.YEAR
        if o.cycle_id in inside and orphan:
            message = f"{o.title!r} serves no parent: nothing ties it to the global objective"
            found.append(
                Finding(FindingCode.UNALIGNED_OBJECTIVE, message, NodeKind.OBJECTIVE, o.id)
            )
    window = timedelta(days=evaluation.policy.stale_after_days)
    for k in krs:
        if k.owner_id is None and k.legacy_owner is None:
            found.append(
                Finding(
                    FindingCode.KEY_RESULT_WITHOUT_OWNER,
                    f"{k.title!r} has no owner",
                    NodeKind.KEY_RESULT,
                    k.id,
                )
            )
        if k.department_id is None:
            found.append(
                Finding(
                    FindingCode.KEY_RESULT_WITHOUT_DEPARTMENT,
                    f"{k.title!r} belongs to no department",
                    NodeKind.KEY_RESULT,
                    k.id,
                )
            )
        stale = _stale(k, evaluation, window)
        if stale is not None:
            found.append(stale)
        blockers = evaluation.key_result_progress[k.id].blocked_by
        if blockers:
            names = ", ".join(repr(evaluation.key_results[b].title) for b in blockers)
            message = f"{k.title!r} is held back by late upstream key results: {names}"
            found.append(Finding(FindingCode.DEPENDENCY_RISK, message, NodeKind.KEY_RESULT, k.id))
    return found


def initiative_findings(initiatives: Iterable[Initiative], roi_threshold: float) -> list[Finding]:
    """Discard candidates (DOMAIN.md §5): initiatives serving nothing, or below the ROI bar."""
    found: list[Finding] = []
    for i in initiatives:
        if not i.aligned:
            message = f"{i.title!r} serves no key result: a candidate to discard"
            found.append(
                Finding(FindingCode.UNALIGNED_INITIATIVE, message, NodeKind.INITIATIVE, i.id)
            )
        roi = i.roi
        if roi is not None and roi < roi_threshold:
            message = f"{i.title!r} returns {roi:.2f}, below the policy's {roi_threshold:g}"
            found.append(
                Finding(FindingCode.LOW_ROI_INITIATIVE, message, NodeKind.INITIATIVE, i.id)
            )
    return found


def inactive_owners(
    evaluation: Evaluation,
    cycle_ids: Sequence[str],
    initiatives: Iterable[Initiative],
    members: Mapping[str, Member],
) -> list[Finding]:
    """Objectives and key results of the cycles, and initiatives, whose owner is deactivated:
    they stay theirs (history is kept), but nobody answers for them any more."""
    inside = set(cycle_ids)
    owned: list[tuple[str, str | None, NodeKind, str]] = [
        *(
            (o.title, o.owner_id, NodeKind.OBJECTIVE, o.id)
            for o in evaluation.objectives.values()
            if o.cycle_id in inside
        ),
        *(
            (k.title, k.owner_id, NodeKind.KEY_RESULT, k.id)
            for k in evaluation.key_results.values()
            if k.cycle_id in inside
        ),
        *((i.title, i.owner_id, NodeKind.INITIATIVE, i.id) for i in initiatives),
    ]
    found: list[Finding] = []
    for title, owner_id, kind, node_id in owned:
        owner = members.get(owner_id) if owner_id is not None else None
        if owner is not None and not owner.active:
            message = f"{title!r} is owned by {owner.name}, who is deactivated: give it a new owner"
            found.append(Finding(FindingCode.OWNER_INACTIVE, message, kind, node_id))
    return found


def health(
    evaluation: Evaluation,
    cycle_id: str,
    *,
    departments: Iterable[Department],
    initiatives: Iterable[Initiative],
    members: Mapping[str, Member] | None = None,
) -> list[Finding]:
    """Every finding for a cycle and the cycles inside it, plus the organization's initiatives;
    `members` (by id) tells which owners are deactivated."""
    cycle_ids = _inside(evaluation, cycle_id)
    listed = list(initiatives)
    return [
        *team_limits(evaluation, cycle_ids, departments),
        *key_result_findings(evaluation, cycle_ids),
        *initiative_findings(listed, evaluation.policy.roi_threshold),
        *inactive_owners(evaluation, cycle_ids, listed, members or {}),
    ]


__all__ = ["Finding", "FindingCode", "NodeKind", "health"]
