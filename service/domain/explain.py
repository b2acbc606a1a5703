"""How a computed number explains itself: the formula, the inputs and the policy it used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExplanationInput:
    """One input of a formula: a named value, the node it comes from and its weight, if any."""

    label: str
    value: float | None
    weight: float | None = None
    node_id: str | None = None
    node_kind: str | None = None  # "KeyResult" or "Objective" when `node_id` is set


@dataclass(frozen=True, slots=True)
class Explanation:
    """The formula that produced a number, its inputs, and the policy values it used."""

    formula: str
    inputs: tuple[ExplanationInput, ...] = ()
    policy: tuple[tuple[str, float], ...] = ()
    status_reason: str = ""


def fmt(value: float | None) -> str:
    """A number as people read it in a formula: up to 6 decimals, no trailing zeros."""
    if value is None:
        return "null"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
