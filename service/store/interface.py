"""What the service needs from storage, as a Protocol whose docstrings are the contract.

The store holds each organization's change log (`service.store.records`), which is where a
write happens, and the documents (organizations, departments, cycles, objectives, key results,
check-ins, action steps, initiatives), which are the log applied; beside them, what outbound
delivery keeps (`service.outbound.model`: webhook endpoints, their deliveries, the consumers'
positions in the logs and the leases that share the work between instances). Reads of an
organization's OKRs go through the read model (`service.readmodel`), which loads the documents
once and then follows the log; the store's own reads are what the read model does not hold
(check-in history) and what spans organizations.

Rules every implementation keeps:
- Ids are strings chosen by the caller; every document carries its organization id and every read
  filters by it, so an id from another organization finds nothing, like an unknown id.
- Nothing relies on multi-document transactions: appending a change is one insert, and applying
  it is a series of single-document writes, each idempotent and fenced by the change's sequence
  (a document already written by a later change is left alone).
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
    Member,
    Objective,
    Organization,
)
from service.outbound.model import Delivery, Position, Webhook
from service.store.records import Change

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: the items and the total count of the whole list."""

    items: list[T]
    total: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class OrganizationDocuments:
    """Everything of one organization the read model keeps, as the documents hold it."""

    organization: Organization
    departments: list[Department] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    key_results: list[KeyResult] = field(default_factory=list)
    action_steps: list[ActionStep] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    """Which changes of the audit trail to list; None leaves a criterion out."""

    actor: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    node_id: str | None = None


class Store(Protocol):
    """Persistence of organizations: their change logs and the documents they apply to."""

    async def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable otherwise."""

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent): unique organization slug, unique change key, unique
        check-in idempotency key, and the lookups; documents written before the change log
        get their sequence fence (0)."""

    # The change log ------------------------------------------------------------------------
    async def append_change(self, change: Change) -> None:
        """Append a change to its organization's log: the write happens here. Conflict when
        its sequence is taken (someone else wrote first) or its `dedup` key is (the same
        request was written already); nothing is stored then."""

    async def changes_after(self, org_id: str, sequence: int, *, limit: int) -> list[Change]:
        """The organization's changes from `sequence + 1` on, oldest first, at most `limit`, as
        long as they follow each other: empty when the log holds no `sequence + 1`, because
        nothing was written after it or because it was pruned (`first_sequence` tells which)."""

    async def last_change(self, org_id: str) -> Change | None:
        """The organization's newest change, if it has any."""

    async def first_sequence(self, org_id: str) -> int | None:
        """The sequence of the oldest change the log still keeps; None when it is empty."""

    async def change_by_dedup(self, dedup: str) -> Change | None:
        """The change with this `dedup` key, if the log (still) holds one."""

    async def apply(self, change: Change) -> None:
        """Apply a change to the documents and mark it applied. Idempotent: applying it again,
        or after a failure midway, ends in the same documents; a document that a later change
        wrote already is left as that change wrote it."""

    async def page_changes(
        self,
        org_id: str,
        *,
        before: int | None,
        limit: int,
        where: ChangeFilter | None = None,
    ) -> Page[Change]:
        """The organization's changes newest first, below sequence `before` if given, that
        match `where`; `total` counts every match."""

    async def prune_changes(self, org_id: str, *, keep_last: int, older_than: datetime) -> int:
        """Forget the organization's changes that are both older than `older_than` and not among
        its `keep_last` newest (never one not applied yet); how many were forgotten."""

    # Documents ---------------------------------------------------------------------------
    async def load_organization(self, org_id: str) -> OrganizationDocuments | None:
        """Every document of the organization the read model keeps, in a bounded number of
        round trips, side by side; None when there is no such organization."""

    async def get_organizations(self, ids: Sequence[str]) -> list[Organization]:
        """The organizations among `ids` that exist, in any order."""

    async def get_organization_by_slug(self, slug: str) -> Organization | None:
        """The organization with that slug, if any."""

    async def list_organizations(
        self, *, after: str | None, limit: int, ids: Sequence[str] | None = None
    ) -> Page[Organization]:
        """Organizations ordered by id, after the id `after`, at most `limit`; optionally only
        those among `ids` (what a caller may see)."""

    async def organizations_with_legacy_owners(self) -> list[str]:
        """The ids of the organizations (sorted) with objectives, key results or action steps
        still owned by free text (`service.okrs.migration`)."""

    # Check-ins -----------------------------------------------------------------------------
    async def get_check_ins(self, org_id: str, ids: Sequence[str]) -> list[CheckIn]:
        """The check-ins among `ids` in this organization."""

    async def find_check_in(self, org_id: str, dedup_key: str) -> CheckIn | None:
        """The check-in with this idempotency key (`documents.dedup_key`), if any."""

    async def list_check_ins(
        self,
        org_id: str,
        key_result_ids: Sequence[str],
        *,
        until: datetime | None = None,
    ) -> list[CheckIn]:
        """All check-ins of these key results recorded at or before `until`, newest first
        (recordedAt, then id)."""

    async def page_check_ins(
        self, org_id: str, key_result_id: str, *, after: str | None, limit: int
    ) -> Page[CheckIn]:
        """One key result's check-ins newest first (recordedAt, then id); `after` is the id of
        the last check-in of the previous page (an unknown one gives an empty page)."""

    # Outbound delivery (service.outbound) ---------------------------------------------------
    async def take_lease(self, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
        """Hold the lease `name` for `seconds` from `now` if it is free, expired or held by
        `holder` already (then it is renewed); False when someone else holds it."""

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up, if `holder` holds it, so another instance may take it at once."""

    async def get_position(self, name: str) -> Position | None:
        """How far the consumer `name` got in its log, if it ever saved a position."""

    async def save_position(self, name: str, position: Position) -> None:
        """Keep the consumer's position (its lease holder alone writes it)."""

    async def put_webhook(self, org_id: str, webhook: Webhook) -> None:
        """Store an organization's webhook endpoint whole (create it, or replace it)."""

    async def delete_webhook(self, org_id: str, webhook_id: str) -> bool:
        """Delete an endpoint and its deliveries; False when there was no such endpoint."""

    async def get_webhook(self, org_id: str, webhook_id: str) -> Webhook | None:
        """One endpoint of the organization, if it exists."""

    async def list_webhooks(self, org_id: str) -> list[Webhook]:
        """The organization's endpoints, by id."""

    async def all_webhooks(self, *, after: str | None, limit: int) -> list[Webhook]:
        """Every organization's endpoints by id, after the id `after`, at most `limit` (what
        the delivering instances share out between them)."""

    async def put_delivery(self, org_id: str, delivery: Delivery) -> None:
        """Store a delivery record whole (one per change and endpoint: a retry replaces it)."""

    async def prune_deliveries(self, org_id: str, webhook_id: str, *, before: datetime) -> int:
        """Forget an endpoint's delivered (and failed test) messages last sent before `before`;
        pending and dead-lettered ones stay. How many were forgotten."""

    async def page_deliveries(
        self, org_id: str, webhook_id: str, *, after: str | None, limit: int
    ) -> Page[Delivery]:
        """An endpoint's deliveries, newest change first (test messages before them); `after`
        is the id of the last delivery of the previous page."""

    @property
    def round_trips(self) -> int:
        """How many requests this store has sent to the database since it was made: one per
        operation (find, insert, update, delete, count, index creation, ping), whatever its
        outcome; a cursor's follow-up batches (getMore, past 101 documents) are not counted."""
