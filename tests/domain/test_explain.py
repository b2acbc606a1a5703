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
