"""Hypothesis strategies for events: any progress, any scope change, any event."""

from __future__ import annotations

from datetime import UTC

from hypothesis import strategies as st

from service.domain.explain import Explanation, ExplanationInput, OverrideNote
from service.domain.model import ProgressStatus
from service.domain.rollup import Standing
from service.events.event import SCOPE_KINDS, Event, ScopeChange, progress_to_plain
from service.events.reminders import DueNotice
from tests.strategies import override_histories

numbers = st.floats(allow_nan=False, allow_infinity=False)
maybe_numbers = st.none() | numbers
ids = st.text(min_size=1, max_size=16)

explanations = st.builds(
    Explanation,
    formula=st.text(),
    inputs=st.lists(
        st.builds(
            ExplanationInput,
            label=st.text(),
            value=maybe_numbers,
            weight=maybe_numbers,
            node_id=st.none() | ids,
        ),
        max_size=4,
    ).map(tuple),
    policy=st.lists(st.tuples(st.text(), numbers), max_size=3).map(tuple),
    status_reason=st.text(),
    override=st.none()
    | st.builds(
        OverrideNote,
        override=override_histories(max_size=1).filter(bool).map(lambda h: h[0]),
        computed=maybe_numbers,
    ),
)

progresses = st.builds(
    Standing,
    value=maybe_numbers,
    attainment=maybe_numbers,
    expected=numbers,
    status=st.sampled_from(ProgressStatus),
    explanation=explanations,
    blocked_by=st.lists(ids, max_size=3).map(tuple),
    current=maybe_numbers,
)

scope_changes = st.builds(
    ScopeChange,
    kind=st.sampled_from(sorted(SCOPE_KINDS)),
    id=ids,
    cycle_id=st.none() | ids,
    previous=st.none() | progresses.map(progress_to_plain),
    current=st.none() | progresses.map(progress_to_plain),
)

notices = st.builds(
    DueNotice,
    key_result_id=ids,
    owner=st.none() | ids,
    due_at=st.datetimes(timezones=st.just(UTC)),
    silent_since=st.datetimes(timezones=st.just(UTC)),
    scopes=st.lists(st.tuples(st.sampled_from(sorted(SCOPE_KINDS)), ids), max_size=4).map(tuple),
)

events = st.builds(
    Event,
    org_id=ids,
    sequence=st.integers(min_value=0, max_value=2**63),
    at=st.datetimes(timezones=st.just(UTC)),
    key_result_id=ids,
    cause_check_in_id=st.none() | ids,
    changes=st.lists(scope_changes, max_size=4).map(tuple),
    due=st.lists(notices, max_size=2).map(tuple),
)
