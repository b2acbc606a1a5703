"""The entities of DOMAIN.md §1 as plain, immutable values.

Every entity carries the id of the organization it belongs to (`org_id`); ids are opaque strings.
Times are timezone-aware UTC datetimes; a cycle is the half-open interval [starts_at, ends_at).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime


class CycleKind(enum.StrEnum):
    """The length of a planning cycle."""

    YEAR = "YEAR"
    QUARTER = "QUARTER"
    MONTH = "MONTH"


class KeyResultKind(enum.StrEnum):
    """How a key result's value is turned into progress (DOMAIN.md §3.1)."""

    INCREASE = "INCREASE"
    DECREASE = "DECREASE"
    AT_LEAST = "AT_LEAST"
    AT_MOST = "AT_MOST"
    MILESTONE = "MILESTONE"


class MemberRole(enum.StrEnum):
    """What a member may do; the roles a token's `role` claim names."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class ProgressStatus(enum.StrEnum):
    """Where a key result or objective stands against the pace of its cycle (DOMAIN.md §3.3)."""

    NOT_STARTED = "NOT_STARTED"
    PENDING = "PENDING"
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    OFF_TRACK = "OFF_TRACK"
    ACHIEVED = "ACHIEVED"


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-organization settings of the method; the defaults are DOMAIN.md's."""

    on_track_ratio: float = 0.75
    at_risk_ratio: float = 0.5
    max_objectives_per_team: int = 5
    min_objectives_per_team: int = 3
    roi_threshold: float = 0.0
    stale_after_days: int = 14
    check_in_cadence_days: int = 7
    """How often each key result should be checked in: one silent for longer is due."""


@dataclass(frozen=True, slots=True)
class Override:
    """An objective's progress set by hand (GitLab issue 382433): `value` (on progress's scale,
    [0, 1]) holds from `set_at` until `expires_at` (None: until cleared), until `cleared_at`,
    or until a newer override of the same objective is set, whichever comes first.
    `set_by` and `cleared_by` are who did it (a token's subject), `reason` why. `expired` says
    that the log holds the change announcing its expiry (written by the scheduler once
    `expires_at` has passed); it changes nothing of when the override holds."""

    value: float
    reason: str
    set_at: datetime
    set_by: str | None = None
    expires_at: datetime | None = None
    cleared_at: datetime | None = None
    cleared_by: str | None = None
    expired: bool = False

    def ends_at(self) -> datetime | None:
        """When it stops holding by itself: cleared or expired, the earlier (None: never)."""
        ends = [t for t in (self.expires_at, self.cleared_at) if t is not None]
        return min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class Organization:
    """The root of everything: mission and vision are permanent, the slug never changes."""

    id: str
    name: str
    slug: str
    mission: str | None = None
    vision: str | None = None
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True, slots=True)
class Member:
    """A person of an organization: who owns OKRs and who signs in.

    `email` is unique in the organization compared case-insensitively (`email_key`); `subject`
    is the token subject (`sub`) the member signs in as, None until they first do. A member
    who is not `active` keeps their history and what they own, but can no longer sign in."""

    id: str
    org_id: str
    name: str
    email: str
    role: MemberRole = MemberRole.VIEWER
    active: bool = True
    subject: str | None = None

    @property
    def email_key(self) -> str:
        """The email as uniqueness compares it."""
        return self.email.casefold()


@dataclass(frozen=True, slots=True)
class Department:
    """A team that owns key results and objectives (Marketing, Sales, ...)."""

    id: str
    org_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Cycle:
    """A YEAR, one of its four QUARTERs, or a MONTH inside a quarter."""

    id: str
    org_id: str
    kind: CycleKind
    year: int
    starts_at: datetime
    ends_at: datetime
    quarter: int | None = None
    month: int | None = None
    parent_id: str | None = None
    closed: bool = False
    closed_at: datetime | None = None

    @property
    def label(self) -> str:
        """A short human name: `2027`, `2027-Q1`, `2027-02`."""
        if self.kind is CycleKind.YEAR:
            return str(self.year)
        if self.kind is CycleKind.QUARTER:
            return f"{self.year}-Q{self.quarter}"
        return f"{self.year}-{self.month:02d}"

    @property
    def starts_on(self) -> date:
        """The first day of the cycle."""
        return self.starts_at.date()

    @property
    def ends_on(self) -> date:
        """The last day of the cycle (inclusive)."""
        return date.fromordinal(self.ends_at.date().toordinal() - 1)


@dataclass(frozen=True, slots=True)
class Objective:
    """A qualitative goal in a cycle; objectives form a tree through `parent_id`."""

    id: str
    org_id: str
    cycle_id: str
    year: int
    title: str
    description: str | None = None
    parent_id: str | None = None
    department_id: str | None = None
    owner_id: str | None = None
    weight: float = 1.0
    lessons_learned: str | None = None
    score: float | None = None
    carried_over_from: str | None = None
    overrides: tuple[Override, ...] = ()
    """Every override ever set on it, in the order they were set (`service.domain.override`):
    the history, so that the objective reads as it stood at any instant."""
    legacy_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A check-in dated ahead of when it was written (clocks disagree by up to minutes): it is
    kept with its key result, and counts once its time has come (DOMAIN.md §6)."""

    at: datetime
    value: float
    confidence: float | None
    check_in_id: str


@dataclass(frozen=True, slots=True)
class Link:
    """An objective a key result counts in, and the weight it counts with there (DOMAIN.md
    §3.2 applies per link)."""

    objective_id: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class KeyResult:
    """A measurable result of its objective (its home), optionally owned by a department, which
    may serve other objectives of its year too (`aligned`).

    `current_value`, `last_check_in_at` and `last_check_in_id` mirror the newest check-in by
    `recordedAt` (of two at the same millisecond, the one recorded last) whose time has come
    when it was written, and `upcoming` the check-ins dated ahead of that, oldest first (`at`
    reads the key result at a later instant);
    `depends_on` lists the upstream key results whose delay holds this one back (DOMAIN.md §4).
    `aligned` lists the objectives it serves besides its home, each with that link's weight, in
    the order they were aligned: never its home, never one twice, never one of another year.
    `created_at` starts its grace period when later than its cycle's start (DOMAIN.md §3.3);
    None (a key result stored before it was kept) counts as created when its cycle started.
    """

    id: str
    org_id: str
    objective_id: str
    cycle_id: str
    year: int
    title: str
    kind: KeyResultKind
    start_value: float
    target_value: float
    current_value: float
    unit: str | None = None
    department_id: str | None = None
    owner_id: str | None = None
    weight: float = 1.0
    depends_on: tuple[str, ...] = ()
    last_check_in_at: datetime | None = None
    confidence: float | None = None
    score: float | None = None
    carried_over_from: str | None = None
    created_at: datetime | None = None
    last_check_in_id: str | None = None
    upcoming: tuple[Upcoming, ...] = ()
    legacy_owner: str | None = None
    aligned: tuple[Link, ...] = ()

    @property
    def links(self) -> tuple[Link, ...]:
        """Every objective it serves with the weight it counts with there: its home (its own
        weight) first, then the aligned ones."""
        return (Link(self.objective_id, self.weight), *self.aligned)

    def serves(self, objective_id: str) -> bool:
        """Whether it counts in `objective_id`, at home or aligned."""
        return any(link.objective_id == objective_id for link in self.links)

    def at(self, instant: datetime) -> KeyResult:
        """The key result as it stands at `instant`: its upcoming check-ins whose time has come
        counted (the newest by time is the value; of two at the same millisecond, the upcoming
        one), the rest still upcoming."""
        if not self.upcoming or self.upcoming[0].at > instant:
            return self
        due = [u for u in self.upcoming if u.at <= instant]
        newest = due[-1]
        later = tuple(u for u in self.upcoming if u.at > instant)
        last = self.last_check_in_at
        if last is not None and newest.at < last:
            return replace(self, upcoming=later)
        return replace(
            self,
            current_value=newest.value,
            confidence=newest.confidence,
            last_check_in_at=newest.at,
            last_check_in_id=newest.check_in_id,
            upcoming=later,
        )


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A value recorded at a time: append-only history of a key result (DOMAIN.md §6).

    `sequence` is the change that recorded it in its organization's log (0 for check-ins
    recorded before the log): of two check-ins at the same millisecond, the later one wins."""

    id: str
    org_id: str
    key_result_id: str
    value: float
    recorded_at: datetime
    confidence: float | None = None
    note: str | None = None
    author: str | None = None
    idempotency_key: str | None = None
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class ActionStep:
    """One ordered step of an objective's action plan (DOMAIN.md §5)."""

    id: str
    org_id: str
    objective_id: str
    title: str
    position: int
    owner_id: str | None = None
    due_on: date | None = None
    done: bool = False
    legacy_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Initiative:
    """An action serving key results, with a cost and an expected value (DOMAIN.md §5)."""

    id: str
    org_id: str
    title: str
    cost: float
    expected_value: float
    key_result_ids: tuple[str, ...] = ()
    owner_id: str | None = None

    @property
    def roi(self) -> float | None:
        """(expected value - cost) / cost; undefined (None) for a free initiative."""
        if self.cost == 0:
            return None
        return (self.expected_value - self.cost) / self.cost

    @property
    def aligned(self) -> bool:
        """Whether it serves at least one key result."""
        return bool(self.key_result_ids)
