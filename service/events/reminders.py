"""A check-in due notice as an event carries it: which key result became due a check-in,
whose it is, since when, and every scope it lies in (for subscribers and webhooks that follow
a scope). Plain data, so that any instance can rebuild it from the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.store.reads import REMINDERS
from service.store.records import Change


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A key result that became due a check-in at `due_at` (its clock started at
    `silent_since`); `scopes` are the (kind, id) of every scope that holds it."""

    key_result_id: str
    owner: str | None
    due_at: datetime
    silent_since: datetime
    scopes: tuple[tuple[str, str], ...] = ()

    def within(self, scope_id: str) -> bool:
        """Whether the scope of this id holds the key result."""
        return any(i == scope_id for _, i in self.scopes)

    def to_plain(self) -> dict[str, Any]:
        """The notice as JSON-able data."""
        return {
            "key_result_id": self.key_result_id,
            "owner": self.owner,
            "due_at": self.due_at.isoformat(),
            "silent_since": self.silent_since.isoformat(),
            "scopes": [[kind, scope_id] for kind, scope_id in self.scopes],
        }

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> DueNotice:
        """`to_plain` read back (KeyError, TypeError or ValueError when it is not one)."""
        owner = plain["owner"]
        if owner is not None and not isinstance(owner, str):
            raise TypeError("a notice's owner is a string or null")
        return cls(
            key_result_id=str(plain["key_result_id"]),
            owner=owner,
            due_at=datetime.fromisoformat(plain["due_at"]),
            silent_since=datetime.fromisoformat(plain["silent_since"]),
            scopes=tuple((str(kind), str(scope_id)) for kind, scope_id in plain["scopes"]),
        )


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def notices_of(change: Change, scopes: tuple[tuple[str, str], ...]) -> tuple[DueNotice, ...]:
    """The due notices a change wrote (none but for a `checkInDue` change), each in `scopes`."""
    return tuple(
        DueNotice(
            key_result_id=put.doc["keyResultId"],
            owner=put.doc.get("ownerId"),
            due_at=_utc(put.doc["dueAt"]),
            silent_since=_utc(put.doc["silentSince"]),
            scopes=scopes,
        )
        for put in change.puts(REMINDERS)
    )
