"""Weighted means and weakest statuses (DOMAIN.md §3.2, §3.3): how any node's children add up.

A status is also kept as its rank (`RANK`, `BY_RANK`): an evaluation keeps a hundred thousand of
them in a `bytearray`, and the weakest is the smallest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from service.domain.explain import Explanation, ExplanationInput
from service.domain.model import ProgressStatus
from service.domain.standing import Standing
from service.domain.wording import rollup_explanation

# Weakest first (DOMAIN.md §3.3): an objective takes the weakest status among its children.
STATUS_ORDER = (
    ProgressStatus.OFF_TRACK,
    ProgressStatus.AT_RISK,
    ProgressStatus.PENDING,
    ProgressStatus.ON_TRACK,
    ProgressStatus.ACHIEVED,
)
# `weakest` by rank: NOT_STARTED ranks after every other status, so it is the weakest only when
# all children are NOT_STARTED, and the rank past it stands for "nothing under it" (PENDING).
BY_RANK = (*STATUS_ORDER, ProgressStatus.NOT_STARTED, ProgressStatus.PENDING)
RANK = {status: rank for rank, status in enumerate(BY_RANK[:-1])}
NOTHING_UNDER = len(BY_RANK) - 1


@dataclass(frozen=True, slots=True)
class Weighted:
    """One input of a rollup: a node's progress and weight (None progress is left out)."""

    node_id: str
    label: str
    value: float | None
    weight: float
    status: ProgressStatus
    node_kind: str = "Objective"


def weighted_mean(items: Iterable[tuple[float | None, float]]) -> float | None:
    """Σ wᵢ·pᵢ / Σ wᵢ over the items that have a value; None when none has."""
    total = 0.0
    weights = 0.0
    for value, weight in items:
        if value is not None:
            total += weight * value
            weights += weight
    if weights == 0:
        return None
    return total / weights


def weakest(statuses: Collection[ProgressStatus]) -> ProgressStatus:
    """The status of a parent from its children's (DOMAIN.md §3.3)."""
    return BY_RANK[min((RANK[s] for s in statuses), default=NOTHING_UNDER)]


def combine(
    items: Sequence[Weighted],
    *,
    expected: float,
    what: str,
    policy: tuple[tuple[str, float], ...] = (),
) -> Standing:
    """The weighted rollup of `items`, with the explanation naming each input and the policy
    thresholds its children's statuses were judged by."""
    value = weighted_mean((i.value, i.weight) for i in items)
    status = weakest([i.status for i in items])

    def write() -> Explanation:
        inputs = tuple(
            ExplanationInput(
                label=i.label,
                value=i.value,
                weight=i.weight,
                node_id=i.node_id,
                node_kind=i.node_kind,
            )
            for i in items
        )
        return rollup_explanation(what, policy, inputs, value, status)

    return Standing(
        value=value,
        attainment=None,
        expected=expected,
        status=status,
        explanation=Explanation.later(write),
    )


ON_TRACK_RANK = RANK[ProgressStatus.ON_TRACK]
# Late (AT_RISK or OFF_TRACK, what holds a dependent back) is a rank at or below AT_RISK_RANK.
AT_RISK_RANK = RANK[ProgressStatus.AT_RISK]
PENDING_RANK = RANK[ProgressStatus.PENDING]

__all__ = [
    "AT_RISK_RANK",
    "BY_RANK",
    "NOTHING_UNDER",
    "ON_TRACK_RANK",
    "PENDING_RANK",
    "RANK",
    "STATUS_ORDER",
    "Weighted",
    "combine",
    "weakest",
    "weighted_mean",
]
