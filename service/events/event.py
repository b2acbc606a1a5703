"""A progress event as plain, JSON-able data: what travels between instances.

The event holds no domain objects, so any instance can rebuild it from the wire. It depends on
`service.domain` only: the use cases (`service.okrs`) publish events, so importing them from here
would make the two packages import each other; `ChangeLike` describes their `ProgressChange`
structurally instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NotRequired, Protocol, TypedDict

from service.domain.explain import Explanation, ExplanationInput
from service.domain.model import ProgressStatus
from service.domain.rollup import Standing
from service.events.overrides import PlainOverride, override_from_plain, override_to_plain
from service.events.reminders import DueNotice

# The values of `service.okrs.common.ScopeKind`, as they travel.
SCOPE_KINDS = frozenset({"KeyResult", "Objective", "Cycle", "Department", "Organization"})


class PlainInput(TypedDict):
    """One input of an explanation's formula."""

    label: str
    value: float | None
    weight: float | None
    node_id: str | None
    node_kind: str | None


class PlainPolicyValue(TypedDict):
    """One policy setting the computation used."""

    name: str
    value: float


class PlainExplanation(TypedDict):
    """How a number was computed."""

    formula: str
    inputs: list[PlainInput]
    policy: list[PlainPolicyValue]
    status_reason: str
    override: NotRequired[PlainOverride | None]


class PlainProgress(TypedDict):
    """A scope's standing: `service.domain.standing.Standing` as JSON-able data."""

    value: float | None
    attainment: float | None
    expected: float
    status: str
    blocked_by: list[str]
    current: float | None
    explanation: PlainExplanation


def progress_to_plain(progress: Standing) -> PlainProgress:
    """A domain progress as plain data (lists, not tuples, so that JSON gives it back equal)."""
    explained = progress.explanation
    return {
        "value": progress.value,
        "attainment": progress.attainment,
        "expected": progress.expected,
        "status": progress.status.value,
        "blocked_by": list(progress.blocked_by),
        "current": progress.current,
        "explanation": {
            "formula": explained.formula,
            "inputs": [
                {
                    "label": i.label,
                    "value": i.value,
                    "weight": i.weight,
                    "node_id": i.node_id,
                    "node_kind": i.node_kind,
                }
                for i in explained.inputs
            ],
            "policy": [{"name": name, "value": value} for name, value in explained.policy],
            "status_reason": explained.status_reason,
            "override": override_to_plain(explained.override),
        },
    }


def progress_from_plain(plain: PlainProgress) -> Standing:
    """The domain standing back from plain data."""
    explained = plain["explanation"]
    return Standing(
        value=plain["value"],
        attainment=plain["attainment"],
        expected=plain["expected"],
        status=ProgressStatus(plain["status"]),
        blocked_by=tuple(plain["blocked_by"]),
        current=plain["current"],
        explanation=Explanation(
            formula=explained["formula"],
            inputs=tuple(
                ExplanationInput(
                    label=i["label"],
                    value=i["value"],
                    weight=i["weight"],
                    node_id=i["node_id"],
                    node_kind=i.get("node_kind"),
                )
                for i in explained["inputs"]
            ),
            policy=tuple((p["name"], p["value"]) for p in explained["policy"]),
            status_reason=explained["status_reason"],
            override=override_from_plain(explained.get("override")),
        ),
    )


class ScopeLike(Protocol):
    """What `service.okrs.common.Scope` offers (its `kind` is a `StrEnum`, so a `str`)."""

    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def cycle_id(self) -> str | None: ...


class ChangeLike(Protocol):
    """What `service.okrs.common.ProgressChange` offers."""

    @property
    def scope(self) -> ScopeLike: ...
    @property
    def previous(self) -> Standing | None: ...
    @property
    def current(self) -> Standing | None: ...


class ScopeChange:
    """One scope's progress before and after (None before: new; None after: gone).

    Made from a use case's change, it holds the domain progress and writes the plain form
    (`previous`, `current`: explanations written out) only when asked, which is when the event
    leaves the process (Redis, `to_json`): the explanation of a department's progress names
    every key result it counts, and in-process subscribers read the domain progress directly.
    Made from plain data (an event from Redis), it holds that. Immutable either way."""

    __slots__ = (
        "_current",
        "_current_plain",
        "_previous",
        "_previous_plain",
        "cycle_id",
        "id",
        "kind",
    )

    def __init__(
        self,
        kind: str,
        id: str,
        cycle_id: str | None,
        previous: PlainProgress | Standing | None,
        current: PlainProgress | Standing | None,
    ) -> None:
        if kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {kind!r}")
        self.kind = kind
        self.id = id
        self.cycle_id = cycle_id
        # Kept as long as the event is (for resuming subscribers): nothing of the evaluations.
        self._previous, self._previous_plain = _split(_detached(previous))
        self._current, self._current_plain = _split(_detached(current))

    @classmethod
    def from_change(cls, change: ChangeLike) -> ScopeChange:
        """A use case's `ProgressChange`, its plain form written when first asked for."""
        scope = change.scope
        return cls(str(scope.kind), scope.id, scope.cycle_id, change.previous, change.current)

    @property
    def previous(self) -> PlainProgress | None:
        """`previous` as plain data (JSON's shape)."""
        if self._previous_plain is None and self._previous is not None:
            self._previous_plain = progress_to_plain(self._previous)
        return self._previous_plain

    @property
    def current(self) -> PlainProgress | None:
        """`current` as plain data (JSON's shape)."""
        if self._current_plain is None and self._current is not None:
            self._current_plain = progress_to_plain(self._current)
        return self._current_plain

    def previous_progress(self) -> Standing | None:
        """`previous` as a domain progress."""
        if self._previous is None and self._previous_plain is not None:
            return progress_from_plain(self._previous_plain)
        return self._previous

    def current_progress(self) -> Standing | None:
        """`current` as a domain progress."""
        if self._current is None and self._current_plain is not None:
            return progress_from_plain(self._current_plain)
        return self._current

    def _key(self) -> tuple[object, ...]:
        return (self.kind, self.id, self.cycle_id, self.previous, self.current)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScopeChange):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.kind, self.id, self.cycle_id))

    def __repr__(self) -> str:
        return (
            f"ScopeChange(kind={self.kind!r}, id={self.id!r}, cycle_id={self.cycle_id!r}, "
            f"previous={self.previous!r}, current={self.current!r})"
        )


def _detached(progress: PlainProgress | Standing | None) -> PlainProgress | Standing | None:
    return progress.detached() if isinstance(progress, Standing) else progress


def _split(
    progress: PlainProgress | Standing | None,
) -> tuple[Standing | None, PlainProgress | None]:
    """(domain, plain): whichever was given, the other None until it is asked for."""
    if progress is None or isinstance(progress, Standing):
        return progress, None
    return None, progress


@dataclass(frozen=True, slots=True)
class Event:
    """Progress moved in one organization because of a change, or a key result became due a
    check-in.

    `sequence` is the organization's event counter from the store (a gap tells a client it missed
    events); `at` is an aware datetime, kept in UTC; `changes` lists every scope whose progress
    moved, the key result itself first as the use cases report them; `due` the check-in due
    notices the change wrote (`service.events.reminders`).
    """

    org_id: str
    sequence: int
    at: datetime
    key_result_id: str
    cause_check_in_id: str | None = None
    changes: tuple[ScopeChange, ...] = field(default=())
    due: tuple[DueNotice, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError("an event's `at` must be timezone-aware")
        # Frozen: set the normalized value the way dataclasses themselves do.
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "changes", tuple(self.changes))
        object.__setattr__(self, "due", tuple(self.due))

    @classmethod
    def from_changes(
        cls,
        *,
        org_id: str,
        sequence: int,
        at: datetime,
        key_result_id: str,
        changes: Iterable[ChangeLike],
        cause_check_in_id: str | None = None,
    ) -> Event:
        """The event for a use case's progress changes (`tracked(...)`'s second result)."""
        return cls(
            org_id=org_id,
            sequence=sequence,
            at=at,
            key_result_id=key_result_id,
            cause_check_in_id=cause_check_in_id,
            changes=tuple(ScopeChange.from_change(c) for c in changes),
        )

    def moved(self, scope_id: str) -> bool:
        """Whether the event holds a change of the scope."""
        return any(c.id == scope_id for c in self.changes)

    def changes_of(self, scope_id: str) -> tuple[ScopeChange, ...]:
        """The changes of one scope (a department moves once per cycle it is counted in)."""
        return tuple(c for c in self.changes if c.id == scope_id)

    def to_json(self) -> str:
        """The event as a JSON document."""
        return json.dumps(
            {
                "org_id": self.org_id,
                "sequence": self.sequence,
                "at": self.at.isoformat(),
                "key_result_id": self.key_result_id,
                "cause_check_in_id": self.cause_check_in_id,
                "changes": [
                    {
                        "kind": c.kind,
                        "id": c.id,
                        "cycle_id": c.cycle_id,
                        "previous": c.previous,
                        "current": c.current,
                    }
                    for c in self.changes
                ],
                "due": [n.to_plain() for n in self.due],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """The event back from `to_json`'s document; ValueError when it is not one."""
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                org_id=_text(data["org_id"]),
                sequence=int(data["sequence"]),
                at=datetime.fromisoformat(_text(data["at"])),
                key_result_id=_text(data["key_result_id"]),
                cause_check_in_id=_optional_text(data["cause_check_in_id"]),
                changes=tuple(
                    ScopeChange(
                        kind=_text(c["kind"]),
                        id=_text(c["id"]),
                        cycle_id=_optional_text(c["cycle_id"]),
                        previous=_progress(c["previous"]),
                        current=_progress(c["current"]),
                    )
                    for c in data["changes"]
                ),
                due=tuple(DueNotice.from_plain(n) for n in data.get("due") or ()),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not an event: {error!r}") from error


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _progress(value: PlainProgress | None) -> PlainProgress | None:
    """Plain progress from the wire, checked by converting it (a KeyError when incomplete)."""
    if value is not None:
        progress_from_plain(value)
    return value
