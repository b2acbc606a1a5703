"""Domain errors: a small class tree whose codes are the public `UserErrorCode` values."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """Every code a rejected operation can carry; DOMAIN.md §2 plus the input and lookup codes."""

    NOT_MEASURABLE = "NOT_MEASURABLE"
    TOO_MANY_OBJECTIVES = "TOO_MANY_OBJECTIVES"
    DUPLICATE_GLOBAL_OBJECTIVE = "DUPLICATE_GLOBAL_OBJECTIVE"
    CYCLE_MISMATCH = "CYCLE_MISMATCH"
    DEPENDENCY_CYCLE = "DEPENDENCY_CYCLE"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_TEXT = "INVALID_TEXT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    DUPLICATE = "DUPLICATE"
    CYCLE_CLOSED = "CYCLE_CLOSED"
    HAS_CHILDREN = "HAS_CHILDREN"
    INVALID_PARENT = "INVALID_PARENT"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TARGET_REFUSED = "TARGET_REFUSED"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"


class DomainError(Exception):
    """An expected failure with a code, a message for people, and the input field it concerns."""

    code: ErrorCode = ErrorCode.INVALID_VALUE

    def __init__(
        self, message: str, *, field: tuple[str, ...] = (), code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class RuleViolation(DomainError):
    """An OKR that breaks one of the method's rules (DOMAIN.md §2)."""


class InvalidInput(DomainError):
    """A value or text that no OKR may hold: non-finite, out of range, empty or too long."""


class NotFound(DomainError):
    """An id that names nothing in this organization."""

    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    """An operation that clashes with stored state: a taken slug, a closed cycle."""

    code = ErrorCode.DUPLICATE


class StoreUnavailable(DomainError):
    """The store could not be reached or failed; nothing is known to be written."""

    code = ErrorCode.STORE_UNAVAILABLE
