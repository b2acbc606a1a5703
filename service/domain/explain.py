"""How a computed number explains itself: the formula, the inputs and the policy it used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from service.domain.model import Override


@dataclass(frozen=True, slots=True)
class ExplanationInput:
    """One input of a formula: a named value, the node it comes from and its weight, if any."""

    label: str
    value: float | None
    weight: float | None = None
    node_id: str | None = None
    node_kind: str | None = None  # "KeyResult" or "Objective" when `node_id` is set


@dataclass(frozen=True, slots=True)
class OverrideNote:
    """Why a number is not the computed one: the override that holds (who set it, when, why,
    until when) and the value computed beside it (None: nothing to measure)."""

    override: Override
    computed: float | None


_Parts = tuple[
    str, tuple[ExplanationInput, ...], tuple[tuple[str, float], ...], str, OverrideNote | None
]


class Explanation:
    """The formula that produced a number, its inputs, and the policy values it used.

    Writing formulas out costs more than the arithmetic they explain, and most reads never ask
    for them, so an explanation may be given as a recipe (`later`) and is written out on first
    use. Either way it reads and compares like a plain value."""

    __slots__ = ("_make", "_parts")

    def __init__(
        self,
        formula: str,
        inputs: tuple[ExplanationInput, ...] = (),
        policy: tuple[tuple[str, float], ...] = (),
        status_reason: str = "",
        override: OverrideNote | None = None,
    ) -> None:
        self._parts: _Parts | None = (formula, inputs, policy, status_reason, override)
        self._make: Callable[[], Explanation] | None = None

    @classmethod
    def later(cls, make: Callable[[], Explanation]) -> Explanation:
        """An explanation written out by `make` when first read."""
        lazy = cls.__new__(cls)
        lazy._parts = None
        lazy._make = make
        return lazy

    def _written(self) -> _Parts:
        if self._parts is None:
            assert self._make is not None  # one of the two is always set
            self._parts = self._make()._written()
            self._make = None
        return self._parts

    @property
    def formula(self) -> str:
        """The formula, with the values put in."""
        return self._written()[0]

    @property
    def inputs(self) -> tuple[ExplanationInput, ...]:
        """Every input with its value and weight."""
        return self._written()[1]

    @property
    def policy(self) -> tuple[tuple[str, float], ...]:
        """The policy settings used, by name."""
        return self._written()[2]

    @property
    def status_reason(self) -> str:
        """Why the status is what it is."""
        return self._written()[3]

    @property
    def override(self) -> OverrideNote | None:
        """The override the number answers instead of the computed value, if any."""
        return self._written()[4]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self._written() == other._written()

    def __hash__(self) -> int:
        return hash(self._written())

    def __repr__(self) -> str:
        formula, inputs, policy, reason, override = self._written()
        return (
            f"Explanation(formula={formula!r}, inputs={inputs!r}, policy={policy!r}, "
            f"status_reason={reason!r}, override={override!r})"
        )


def fmt(value: float | None) -> str:
    """A number as people read it in a formula: up to 6 decimals, no trailing zeros."""
    if value is None:
        return "null"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_instant(at: datetime) -> str:
    """An instant as people read it in a reason: the UTC day alone at midnight (2027-01-15),
    else the day and the time to the second (2027-02-10 13:45:12 UTC)."""
    utc = at.astimezone(UTC)
    if utc.time() == time(0):
        return utc.date().isoformat()
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")
