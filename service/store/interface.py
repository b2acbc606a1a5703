"""What the use cases need from storage, as a Protocol whose docstrings are the contract.

Rules every implementation keeps:
- Ids are strings chosen by the caller; every document carries its organization id and every read
  filters by it, so an id from another organization finds nothing, like an unknown id.
- Writes are single-document atomic operations; nothing relies on multi-document transactions.
- Driver failures surface as `StoreUnavailable`, unique-key clashes as `Conflict` (code
  DUPLICATE); nothing else escapes from the driver.
- Times are stored as UTC to the millisecond (all BSON keeps) and come back timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
)


@dataclass(frozen=True, slots=True)
class YearScope:
    """Everything needed to evaluate an organization's year: its cycles, objectives and key
    results, plus the upstream key results (and their cycles) of dependencies that point outside.
    """

    cycles: dict[str, Cycle] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    key_results: dict[str, KeyResult] = field(default_factory=dict)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list ordered by id: the items and the total count of the whole list."""

    items: list[T]
    total: int
    has_next: bool


def reports_change(result: object) -> bool:
    """Whether a write's result says it changed something: a write that changed nothing (a
    closed cycle closed again, a retried check-in) returns False, or a tuple ending in False."""
    return not (result is False or (isinstance(result, tuple) and result[-1] is False))


class Store(Protocol):
    """Persistence of organizations and their OKRs."""

    async def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable otherwise."""

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent): unique org slug, unique check-in idempotency key per
        key result, unique department name and cycle per organization, and the lookups."""

    # Organizations -------------------------------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        """Store a new organization; Conflict when its slug is taken."""

    async def update_organization(self, org: Organization) -> None:
        """Replace name, mission, vision and policy (never the slug)."""

    async def get_organizations(self, ids: Sequence[str]) -> list[Organization]:
        """The organizations among `ids` that exist, in any order."""

    async def get_organization_by_slug(self, slug: str) -> Organization | None:
        """The organization with that slug, if any."""

    async def list_organizations(
        self, *, after: str | None, limit: int, ids: Sequence[str] | None = None
    ) -> Page[Organization]:
        """Organizations ordered by id, after the id `after`, at most `limit`; optionally only
        those among `ids` (what a caller may see)."""

    # Departments ---------------------------------------------------------------------------
    async def insert_department(self, department: Department) -> None:
        """Store a new department; Conflict when the organization has one of that name."""

    async def list_departments(self, org_id: str) -> list[Department]:
        """The organization's departments ordered by name."""

    async def get_departments(self, org_id: str, ids: Sequence[str]) -> list[Department]:
        """The departments among `ids` in this organization."""

    # Cycles --------------------------------------------------------------------------------
    async def insert_cycles(self, cycles: Sequence[Cycle]) -> None:
        """Store new cycles, one document each; Conflict when one already exists (same
        organization, kind, year, quarter and month): then none of them is kept."""

    async def get_cycles(self, org_id: str, ids: Sequence[str]) -> list[Cycle]:
        """The cycles among `ids` in this organization."""

    async def list_cycles(self, org_id: str, *, year: int | None = None) -> list[Cycle]:
        """The organization's cycles (of one year if given), ordered by start, then the longest
        first: the year, its first quarter, that quarter's first month."""

    async def close_cycle(self, org_id: str, cycle_id: str, closed_at: datetime) -> bool:
        """Mark a cycle closed; False when it was closed already (nothing changed)."""

    # Objectives ----------------------------------------------------------------------------
    async def insert_objective(self, objective: Objective) -> None:
        """Store a new objective."""

    async def update_objective(self, objective: Objective) -> None:
        """Replace an objective's fields."""

    async def delete_objective(self, org_id: str, objective_id: str) -> None:
        """Delete an objective with its key results, their check-ins and its action steps; the
        objective goes first so that a failure midway leaves no visible half-deleted tree."""

    async def get_objectives(self, org_id: str, ids: Sequence[str]) -> list[Objective]:
        """The objectives among `ids` in this organization."""

    async def find_objectives(
        self,
        org_id: str,
        *,
        cycle_ids: Sequence[str] | None = None,
        department_id: str | None = None,
        parent_ids: Sequence[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page[Objective]:
        """Objectives ordered by id that match every given filter."""

    async def find_global_objective(self, org_id: str, year: int) -> Objective | None:
        """The YEAR cycle objective of `year` that has no parent."""

    async def count_team_objectives(self, org_id: str, cycle_id: str, department_id: str) -> int:
        """How many objectives the department has in the cycle."""

    # Key results ---------------------------------------------------------------------------
    async def insert_key_result(self, key_result: KeyResult) -> None:
        """Store a new key result."""

    async def insert_key_results(self, key_results: Sequence[KeyResult]) -> None:
        """Store several new key results in one round trip."""

    async def update_key_result(self, key_result: KeyResult) -> None:
        """Replace a key result's editable fields (title, kind, unit, start, target, owner,
        department, weight, score); the current value and dependencies are left alone, except
        that the current value follows the start value while the key result has no check-in
        (`last_check_in_at` is None)."""

    async def delete_key_result(self, org_id: str, key_result_id: str) -> None:
        """Delete a key result, then its check-ins, its place in others' `depends_on` and in
        initiatives."""

    async def get_key_results(self, org_id: str, ids: Sequence[str]) -> list[KeyResult]:
        """The key results among `ids` in this organization."""

    async def find_key_results(
        self,
        org_id: str,
        *,
        objective_ids: Sequence[str] | None = None,
        department_id: str | None = None,
        cycle_ids: Sequence[str] | None = None,
        depends_on: Sequence[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page[KeyResult]:
        """Key results ordered by id that match every given filter (`depends_on`: those that
        depend on any of these ids)."""

    async def add_dependency(self, org_id: str, key_result_id: str, depends_on_id: str) -> None:
        """Add an upstream key result (a set: adding twice keeps one)."""

    async def remove_dependency(self, org_id: str, key_result_id: str, depends_on_id: str) -> None:
        """Remove an upstream key result (absent is fine)."""

    async def set_scores(self, org_id: str, scores: dict[str, float], kind: str) -> None:
        """Freeze scores: `kind` is "key_results" or "objectives" (ValueError otherwise); one
        bulk write each call, none when `scores` is empty (plus the version, as every write
        that changes a year)."""

    # Check-ins -----------------------------------------------------------------------------
    async def append_check_in(self, check_in: CheckIn) -> tuple[CheckIn, bool]:
        """Append a check-in idempotently and keep the key result's current value right.

        When a check-in with the same key result and idempotency key exists, return it with
        False and store nothing. Otherwise insert it and, in one conditional update without a
        transaction, make it the key result's current value only if it is the newest by
        (recordedAt, id); return it with True. Concurrent appends in any order converge on the
        newest check-in's value. The check-in returned is as stored (recorded_at to the
        millisecond).
        """

    async def delete_check_in(self, org_id: str, check_in_id: str) -> CheckIn | None:
        """Delete a check-in and recompute its key result's current value from what remains
        (the start value when none); return the deleted check-in, None if there was none."""

    async def get_check_ins(self, org_id: str, ids: Sequence[str]) -> list[CheckIn]:
        """The check-ins among `ids` in this organization."""

    async def list_check_ins(
        self,
        org_id: str,
        key_result_ids: Sequence[str],
        *,
        until: datetime | None = None,
    ) -> list[CheckIn]:
        """All check-ins of these key results recorded at or before `until`, newest first."""

    async def page_check_ins(
        self, org_id: str, key_result_id: str, *, after: str | None, limit: int
    ) -> Page[CheckIn]:
        """One key result's check-ins newest first (recordedAt, then id); `after` is the id of
        the last check-in of the previous page (an unknown one gives an empty page)."""

    # Action plans and initiatives ----------------------------------------------------------
    async def insert_action_step(self, step: ActionStep) -> None:
        """Store a new action step."""

    async def update_action_step(self, step: ActionStep) -> None:
        """Replace an action step's fields."""

    async def get_action_steps(self, org_id: str, ids: Sequence[str]) -> list[ActionStep]:
        """The action steps among `ids` in this organization."""

    async def list_action_steps(
        self, org_id: str, objective_ids: Sequence[str]
    ) -> list[ActionStep]:
        """The steps of these objectives, ordered by objective, position then id."""

    async def insert_initiative(self, initiative: Initiative) -> None:
        """Store a new initiative."""

    async def link_initiative(self, org_id: str, initiative_id: str, key_result_id: str) -> None:
        """Link an initiative to a key result (a set)."""

    async def unlink_initiative(self, org_id: str, initiative_id: str, key_result_id: str) -> None:
        """Unlink an initiative from a key result (absent is fine)."""

    async def get_initiatives(self, org_id: str, ids: Sequence[str]) -> list[Initiative]:
        """The initiatives among `ids` in this organization."""

    async def find_initiatives(
        self,
        org_id: str,
        *,
        key_result_ids: Sequence[str] | None = None,
        unaligned: bool | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page[Initiative]:
        """Initiatives ordered by id: serving any of `key_result_ids`, or (`unaligned`) none."""

    async def version(self, org_id: str) -> int:
        """A number that moves on whenever a write changes what `load_year` returns for any
        year of the organization, or the organization itself, its departments or its cycles
        (0 before any write); one cheap read, for caches of years and organizations."""

    # Events --------------------------------------------------------------------------------
    async def next_sequence(self, org_id: str) -> int:
        """The organization's next event sequence number: 1, 2, 3, ... by one atomic increment,
        so concurrent writers on any instance never share or skip a number."""

    # Scopes --------------------------------------------------------------------------------
    async def load_year(self, org_id: str, year: int) -> YearScope:
        """A year's cycles, objectives and key results in at most five round trips, however many
        there are (the last two fetch upstream key results outside the year, and their cycles,
        only when there are such). Key results whose objective is gone are left out."""

    @property
    def round_trips(self) -> int:
        """How many requests this store has sent to the database since it was made: one per
        operation (find, insert, update, delete, count, index creation, ping), whatever its
        outcome; a cursor's follow-up batches (getMore, past 101 documents) are not counted."""
