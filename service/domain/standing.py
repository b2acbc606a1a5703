"""Where a node stands at an instant (DOMAIN.md §3): its progress, attainment, expected pace,
status, what holds it back, and the explanation of each.

An evaluation keeps its numbers in columns and makes a `Standing` for a node when the node is
read (`service.domain.evaluation`). Writing explanations out costs more than the arithmetic
they explain and most reads never ask for them, so a standing may keep a recipe instead
(`Standing.later`): one recipe serves a whole evaluation and each standing keeps only what is
its own, so a node costs one object, not three.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.domain.explain import Explanation
from service.domain.model import ProgressStatus

# Writes a progress's explanation from the progress and what it kept for the recipe.
Recipe = Callable[["Standing", Any], Explanation]


class Standing:
    """A node's computed progress (`value`), attainment, expected pace, status and explanation.

    Immutable and compared by value; a class of its own rather than a frozen dataclass so that
    its explanation can stay a recipe inside it until read (`later`)."""

    __slots__ = (
        "_attainment",
        "_blocked_by",
        "_current",
        "_expected",
        "_explanation",
        "_recipe",
        "_status",
        "_value",
    )

    def __init__(
        self,
        value: float | None,
        attainment: float | None,
        expected: float,
        status: ProgressStatus,
        explanation: Explanation,
        blocked_by: tuple[str, ...] = (),
        current: float | None = None,
    ) -> None:
        self._value = value
        self._attainment = attainment
        self._expected = expected
        self._status = status
        self._blocked_by = blocked_by
        self._current = current
        self._explanation: Explanation | Any = explanation
        self._recipe: Recipe | None = None

    @classmethod
    def later(
        cls,
        recipe: Recipe,
        kept: Any,
        value: float | None,
        attainment: float | None,
        expected: float,
        status: ProgressStatus,
        blocked_by: tuple[str, ...] = (),
        current: float | None = None,
    ) -> Standing:
        """A progress whose explanation is `recipe(progress, kept)`, written when first read."""
        made = cls.__new__(cls)
        made._value = value
        made._attainment = attainment
        made._expected = expected
        made._status = status
        made._blocked_by = blocked_by
        made._current = current
        made._explanation = kept
        made._recipe = recipe
        return made

    @property
    def value(self) -> float | None:
        """Progress in [0, 1]; None when there is nothing to measure."""
        return self._value

    @property
    def attainment(self) -> float | None:
        """A key result's uncapped attainment; None for a rollup."""
        return self._attainment

    @property
    def expected(self) -> float:
        """The expected progress of the cycle at the instant of the evaluation."""
        return self._expected

    @property
    def status(self) -> ProgressStatus:
        """Where it stands against the pace of its cycle."""
        return self._status

    @property
    def blocked_by(self) -> tuple[str, ...]:
        """The upstream key results that hold an on-track key result back."""
        return self._blocked_by

    @property
    def current(self) -> float | None:
        """A key result's current value; None for a rollup."""
        return self._current

    @property
    def explanation(self) -> Explanation:
        """How the number was computed. A recipe is written out once; until then the slot
        holds what the recipe kept, never an `Explanation`, so concurrent first reads agree."""
        explanation = self._explanation
        if not isinstance(explanation, Explanation):
            assert self._recipe is not None  # only `later` leaves a recipe
            explanation = self._explanation = self._recipe(self, explanation)
        return explanation

    def detached(self) -> Standing:
        """The same progress with its explanation written out, holding nothing of the
        evaluation it came from (a recipe keeps the whole evaluation alive): for progress kept
        longer than the evaluation, as an event is."""
        if self._recipe is None:
            return self
        return Standing(
            self._value,
            self._attainment,
            self._expected,
            self._status,
            self.explanation,
            self._blocked_by,
            self._current,
        )

    def _fields(self) -> tuple[object, ...]:
        return (
            self._value,
            self._attainment,
            self._expected,
            self._status,
            self.explanation,
            self._blocked_by,
            self._current,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Standing)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Standing(value={self._value!r}, attainment={self._attainment!r}, "
            f"expected={self._expected!r}, status={self._status!r}, "
            f"explanation={self.explanation!r}, blocked_by={self._blocked_by!r}, "
            f"current={self._current!r})"
        )

    def __reduce__(self) -> tuple[type[Standing], tuple[object, ...]]:
        return (Standing, self._fields())
