"""How numbers are printed inside formulas."""

from __future__ import annotations

import pytest

from service.domain.explain import fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (0.0, "0"),
        (-0.0, "0"),
        (-1e-9, "0"),
        (1000.0, "1000"),
        (10, "10"),
        (0.4, "0.4"),
        (-2.5, "-2.5"),
        (1 / 3, "0.333333"),
        (0.1234567, "0.123457"),
    ],
)
def test_fmt_prints_up_to_six_decimals_without_trailing_zeros(
    value: float | None, text: str
) -> None:
    assert fmt(value) == text


def test_an_explanation_written_later_reads_and_compares_like_one_written_now() -> None:
    from service.domain.explain import Explanation, ExplanationInput

    written: list[str] = []

    def make() -> Explanation:
        written.append("once")
        return Explanation("f = 1", (ExplanationInput(label="x", value=1.0),), (("r", 0.5),), "ok")

    later = Explanation.later(make)
    now = Explanation("f = 1", (ExplanationInput(label="x", value=1.0),), (("r", 0.5),), "ok")
    assert written == []  # nothing is written until read
    assert later == now
    assert hash(later) == hash(now)
    assert repr(later) == repr(now)
    assert (later.formula, later.policy, later.status_reason) == ("f = 1", (("r", 0.5),), "ok")
    assert written == ["once"]
    assert later != "f = 1"
    assert "formula='f = 1'" in repr(now)
