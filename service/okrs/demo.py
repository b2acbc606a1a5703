"""The seed's example (DOMAIN.md §1) placed in the current year, so that it is alive today.

Built through the use cases, so the demo obeys every rule a user's data does. Its key results are
created when their quarter starts, as if the organization had used okrgraph all year. Check-in
histories are drawn against the pace of each quarter at `today`, which makes the statuses come
out the same on any day: some key results on track, one at risk, one off track, the Sales key
result held back by Marketing's, and a milestone without a check-in, PENDING in its quarter's
first two weeks and late after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from service.domain.errors import Conflict
from service.domain.model import Cycle, KeyResult, KeyResultKind, MemberRole, Organization
from service.okrs import (
    check_ins,
    cycles,
    initiatives,
    key_results,
    members,
    objectives,
    organizations,
)
from service.okrs.commit import Writer

DEMO_SLUG = "acme-inbound"
ACTOR = "demo"
"""Who the demo's changes are by, in the audit trail."""
WEEK = timedelta(days=7)
PEOPLE = {
    "olivia": ("Olivia (CEO)", "olivia@acme-inbound.example", MemberRole.ADMIN),
    "marta": ("Marta (Marketing)", "marta@acme-inbound.example", MemberRole.EDITOR),
    "sergio": ("Sergio (Sales)", "sergio@acme-inbound.example", MemberRole.EDITOR),
}
"""The demo's members, by key: who owns its OKRs (`.example` addresses reach nobody)."""

# Final share of the way to the target, by quarter, for past quarters: (MQLs, deals).
PAST_RESULTS = {1: (1.08, 0.8), 2: (0.72, 0.6), 3: (0.95, 1.0)}
# Multiples of the expected pace at `today`, for the current quarter.
ON_PACE = 1.1
BEHIND = 0.62
FAR_BEHIND = 0.3


@dataclass(frozen=True, slots=True)
class DemoSeeded:
    """What the seed made (None when the demo organization existed already)."""

    organization: Organization | None
    today: date


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _history_times(starts_at: datetime, until: datetime) -> list[datetime]:
    """Weekly check-in times from the start of a quarter, ending just before `until`."""
    last = max(starts_at, until - timedelta(hours=1))
    times = []
    at = starts_at + timedelta(days=3)
    while at < last:
        times.append(at)
        at += WEEK
    times.append(last)
    return times


async def _history(
    writer: Writer,
    org_id: str,
    kr: KeyResult,
    *,
    share: float,
    starts_at: datetime,
    until: datetime,
    now: datetime,
    confidence: float = 0.7,
) -> None:
    """Check-ins rising steadily from the start value to `share` of the way to the target."""
    times = _history_times(starts_at, until)
    span = (times[-1] - starts_at).total_seconds() or 1.0
    for at in times:
        fraction = share * (at - starts_at).total_seconds() / span
        value = kr.start_value + (kr.target_value - kr.start_value) * fraction
        await check_ins.record_check_in(
            writer=writer,
            org_id=org_id,
            key_result_id=kr.id,
            value=round(value, 4),
            recorded_at=at,
            now=now,
            confidence=confidence,
            note="weekly check-in",
            author=ACTOR,
            idempotency_key=f"demo-{kr.id}-{at.isoformat()}",
        )


def _made(changed: key_results.KeyResultChanged) -> KeyResult:
    assert changed.key_result is not None  # a create returns what it made
    return changed.key_result


async def seed_demo(*, writer: Writer, today: date, now: datetime | None = None) -> DemoSeeded:
    """Write the demo organization unless it exists; `today` fixes every date in it, and
    `now` (noon of `today` unless given: the real clock when serving) is the instant the
    histories reach, so a check-in made a minute later is the newest."""
    if await writer.store.get_organization_by_slug(DEMO_SLUG) is not None:
        return DemoSeeded(organization=None, today=today)
    now = now if now is not None else _noon(today)
    try:
        org = await organizations.create_organization(
            writer=writer,
            name="Acme Inbound",
            slug=DEMO_SLUG,
            mission="Help every small business grow with honest, useful marketing.",
            vision="The inbound partner a thousand companies recommend.",
            now=now,
            actor=ACTOR,
        )
    except Conflict:
        return DemoSeeded(organization=None, today=today)
    marketing = await organizations.create_department(
        writer=writer, org_id=org.id, name="Marketing", now=now, actor=ACTOR
    )
    sales = await organizations.create_department(
        writer=writer, org_id=org.id, name="Sales", now=now, actor=ACTOR
    )
    people = {
        key: (
            await members.invite_member(
                writer=writer,
                org_id=org.id,
                name=name,
                email=email,
                role=role,
                now=now,
                actor=ACTOR,
            )
        ).id
        for key, (name, email, role) in PEOPLE.items()
    }
    year_cycles = await cycles.create_year(
        writer=writer, org_id=org.id, year=today.year, now=now, actor=ACTOR
    )
    year, quarters = year_cycles[0], year_cycles[1:]
    made = await objectives.create_objective(
        writer=writer,
        org_id=org.id,
        cycle_id=year.id,
        title="Increase the sales close rate by 20%",
        description="The one global objective of the year: every quarter's work leads here.",
        owner_id=people["olivia"],
        now=now,
        actor=ACTOR,
    )
    assert made.objective is not None  # a create returns what it made
    global_id = made.objective.id
    quarter_objectives = {}
    for quarter in quarters:
        quarter_objectives[quarter.id] = await _quarter(
            writer, org.id, quarter, global_id, (marketing.id, sales.id), people, now
        )
    current = next(q for q in quarters if q.starts_at <= now < q.ends_at)
    objective_id, mql_id, deals_id = quarter_objectives[current.id]
    teams = {marketing.id: people["marta"], sales.id: people["sergio"]}
    await _team_objectives(writer, org.id, current, objective_id, teams, now)
    await _plan_and_initiatives(writer, org.id, objective_id, (mql_id, deals_id), people, now)
    for quarter in quarters:
        if quarter.ends_at <= now:
            await cycles.close_cycle(
                writer=writer, org_id=org.id, cycle_id=quarter.id, now=now, actor=ACTOR
            )
            await objectives.update_objective(
                writer=writer,
                org_id=org.id,
                objective_id=quarter_objectives[quarter.id][0],
                lessons_learned=LESSONS[quarter.quarter or 1],
                now=now,
                actor=ACTOR,
            )
    return DemoSeeded(organization=org, today=today)


async def _quarter(
    writer: Writer,
    org_id: str,
    quarter: Cycle,
    global_id: str,
    teams: tuple[str, str],
    people: dict[str, str],
    now: datetime,
) -> tuple[str, str, str]:
    """The quarter's objective under the global one, the MQL and deals key results of the two
    `teams` (Marketing, Sales), and their check-ins up to `now`; returns the three ids."""
    marketing_id, sales_id = teams
    made = await objectives.create_objective(
        writer=writer,
        org_id=org_id,
        cycle_id=quarter.id,
        title=f"Q{quarter.quarter}: fill the funnel and turn more leads into customers",
        parent_id=global_id,
        owner_id=people["olivia"],
        now=now,
        actor=ACTOR,
    )
    assert made.objective is not None  # a create returns what it made
    objective_id = made.objective.id
    mql = _made(
        await key_results.create_key_result(
            writer=writer,
            org_id=org_id,
            objective_id=objective_id,
            title="Obtain 1,000 MQLs (marketing qualified leads)",
            kind=KeyResultKind.INCREASE,
            start_value=0,
            target_value=1000,
            unit="MQLs",
            department_id=marketing_id,
            owner_id=people["marta"],
            now=quarter.starts_at,
            actor=ACTOR,
        )
    )
    deals = _made(
        await key_results.create_key_result(
            writer=writer,
            org_id=org_id,
            objective_id=objective_id,
            title="Increase closed sales by 25%",
            kind=KeyResultKind.INCREASE,
            start_value=40,
            target_value=50,
            unit="deals",
            department_id=sales_id,
            owner_id=people["sergio"],
            weight=2,
            now=quarter.starts_at,
            actor=ACTOR,
        )
    )
    await key_results.add_dependency(
        writer=writer,
        org_id=org_id,
        key_result_id=deals.id,
        depends_on_id=mql.id,
        now=now,
        actor=ACTOR,
    )
    if quarter.starts_at <= now:
        current = quarter.ends_at > now
        until = min(now, quarter.ends_at)
        pace = (until - quarter.starts_at) / (quarter.ends_at - quarter.starts_at)
        mql_share, deals_share = (
            (FAR_BEHIND * pace, ON_PACE * pace) if current else PAST_RESULTS[quarter.quarter or 1]
        )
        await _history(
            writer, org_id, mql, share=mql_share, starts_at=quarter.starts_at, until=until, now=now
        )
        await _history(
            writer,
            org_id,
            deals,
            share=deals_share,
            starts_at=quarter.starts_at,
            until=until,
            now=now,
        )
    return objective_id, mql.id, deals.id


TeamKeyResult = tuple[str, KeyResultKind, float, float, str | None, float | None]
TEAM_KEY_RESULTS: dict[str, tuple[str, list[TeamKeyResult]]] = {
    "Marketing": (
        "Make our content engine predictable",
        [
            ("Publish 24 in-depth blog posts", KeyResultKind.INCREASE, 0.0, 24.0, "posts", ON_PACE),
            (
                "Cut the cost per lead from $50 to $35",
                KeyResultKind.DECREASE,
                50.0,
                35.0,
                "USD",
                BEHIND,
            ),
            ("Keep the unsubscribe rate at most 0.5%", KeyResultKind.AT_MOST, 0.4, 0.5, "%", None),
        ],
    ),
    "Sales": (
        "Shorten the sales cycle",
        [
            (
                "Cut the average sales cycle from 45 to 30 days",
                KeyResultKind.DECREASE,
                45.0,
                30.0,
                "days",
                ON_PACE,
            ),
            ("Launch the new pricing page", KeyResultKind.MILESTONE, 0.0, 1.0, None, None),
        ],
    ),
}

UNOWNED = frozenset({"Keep the unsubscribe rate at most 0.5%"})
"""Team key results nobody owns yet: the health report points at them."""

LESSONS = {
    1: "Webinars brought the best leads; start them in week one next time.",
    2: "Paid search burned budget without closing deals: move it to content.",
    3: "Sales and Marketing met weekly, and the hand-off of leads finally worked.",
    4: "",
}


async def _team_objectives(
    writer: Writer,
    org_id: str,
    quarter: Cycle,
    parent_id: str,
    teams: dict[str, str],
    now: datetime,
) -> None:
    """Each team's own objective in the current quarter, serving the quarter's objective, with
    key results at every pace; `teams` maps Marketing's and Sales' ids to who leads them."""
    for (team_id, lead_id), (title, krs) in zip(
        teams.items(), TEAM_KEY_RESULTS.values(), strict=True
    ):
        made = await objectives.create_objective(
            writer=writer,
            org_id=org_id,
            cycle_id=quarter.id,
            title=title,
            parent_id=parent_id,
            department_id=team_id,
            owner_id=lead_id,
            now=now,
            actor=ACTOR,
        )
        assert made.objective is not None  # a create returns what it made
        for kr_title, kind, start, target, unit, share in krs:
            kr = _made(
                await key_results.create_key_result(
                    writer=writer,
                    org_id=org_id,
                    objective_id=made.objective.id,
                    title=kr_title,
                    kind=kind,
                    start_value=start,
                    target_value=target,
                    unit=unit,
                    department_id=team_id,
                    owner_id=None if kr_title in UNOWNED else lead_id,
                    now=quarter.starts_at,
                    actor=ACTOR,
                )
            )
            if share is not None:
                pace = (now - quarter.starts_at) / (quarter.ends_at - quarter.starts_at)
                await _history(
                    writer,
                    org_id,
                    kr,
                    share=share * pace,
                    starts_at=quarter.starts_at,
                    until=now,
                    now=now,
                )
            elif kind is KeyResultKind.AT_MOST:
                await _history(
                    writer, org_id, kr, share=0.5, starts_at=quarter.starts_at, until=now, now=now
                )


async def _plan_and_initiatives(
    writer: Writer,
    org_id: str,
    objective_id: str,
    funnel: tuple[str, str],
    people: dict[str, str],
    now: datetime,
) -> None:
    """An action plan for the current quarter's objective, and initiatives of every ROI
    serving the `funnel`'s key results (MQLs, deals)."""
    mql_id, deals_id = funnel
    steps = [
        ("Launch a monthly webinar series", people["marta"], -20, True),
        ("Agree on the MQL definition with Sales", people["sergio"], -5, True),
        ("Call every MQL within 24 hours", people["sergio"], 14, False),
    ]
    for title, owner, due_in, done in steps:
        step = await objectives.add_action_step(
            writer=writer,
            org_id=org_id,
            objective_id=objective_id,
            title=title,
            owner_id=owner,
            due_on=now.date() + timedelta(days=due_in),
            now=now,
            actor=ACTOR,
        )
        if done:
            await objectives.update_action_step(
                writer=writer, org_id=org_id, step_id=step.id, done=True, now=now, actor=ACTOR
            )
    for title, cost, value, links, by in [
        ("Webinar series", 5_000.0, 20_000.0, [mql_id], "marta"),
        ("Trade-show booth", 30_000.0, 33_000.0, [deals_id], "sergio"),
        ("Print ads in the local paper", 12_000.0, 6_000.0, [mql_id], "marta"),
        ("A ping-pong table for the office", 2_000.0, 2_500.0, [], "olivia"),
    ]:
        await initiatives.create_initiative(
            writer=writer,
            org_id=org_id,
            title=title,
            cost=cost,
            expected_value=value,
            key_result_ids=links,
            owner_id=people[by],
            now=now,
            actor=ACTOR,
        )
