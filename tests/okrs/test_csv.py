"""CSV import and export (README "CSV import and export"): reading files as other tools write
them, every bad cell named, the plan row by row, one change or nothing, twice = unchanged, and
export → import into an empty organization → export is the identity."""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from service.domain import members as member_rules
from service.domain.errors import DomainError, ErrorCode
from service.domain.model import KeyResultKind, Objective, Organization
from service.okrs import (
    check_ins,
    csv_import,
    csv_rows,
    cycles,
    key_results,
    members,
    objectives,
    organizations,
)
from service.okrs.commit import Draft
from service.okrs.common import new_id, put
from service.okrs.csv_working import Action, Item
from service.readmodel import Snapshot
from service.store.mongo import MongoStore
from tests.okrs.conftest import NOW, Backend, World

HEADER = "objective,parent,key result,owner email,department,kind,start,target,current,due\n"
FILE = (
    HEADER
    + "Increase the sales close rate by 20%,,,ceo@acme.test,,,,,,2027\n"
    + "Win the quarter,Increase the sales close rate by 20%,,,Sales,,,,,2027-Q1\n"
    + 'Win the quarter,,"Sign 10 deals, net",sam@acme.test,Sales,INCREASE,0,10,4,2027-Q1\n'
)


async def fresh() -> Backend:
    database: Any = AsyncMongoMockClient(tz_aware=True)[f"csv_{new_id()}"]
    store = MongoStore(database)
    await store.ensure_indexes()
    return Backend(store=store, database=database)


async def empty_org(backend: Backend, slug: str = "fresh") -> Organization:
    return await organizations.create_organization(
        writer=backend.writer, name="Fresh", slug=slug, now=NOW
    )


async def log_length(backend: Backend, org_id: str) -> int:
    return int(await backend.database["changes"].count_documents({"orgId": org_id}))


# Reading ------------------------------------------------------------------------------------------
def test_the_header_is_taken_in_any_order_and_letter_case_with_a_bom_and_crlf() -> None:
    text = "\ufeffDue,KEY_RESULT,Objective,Target,START\r\n2027-Q1,Ship,Grow,10,0\r\n\r\n"
    (row,) = csv_rows.read_rows(text)
    assert (row.line, row.objective, row.key_result, row.start, row.target) == (
        2,
        "Grow",
        "Ship",
        0.0,
        10.0,
    )
    assert row.due == csv_rows.Due(2027, quarter=1)
    assert row.errors == ()


def test_quoted_fields_hold_commas_quotes_and_line_breaks_and_lines_count_from_the_record() -> None:
    text = HEADER + '"Grow, fast",,"Say ""hi""\r\nthen go",,,,0,1,,2027-Q1\nNext,,,,,,,,,2027\n'
    first, second = csv_rows.read_rows(text)
    assert first.objective == "Grow, fast"
    assert first.key_result == 'Say "hi"\r\nthen go'
    assert (first.line, second.line) == (2, 4)


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ("start=1,000", "start", ErrorCode.INVALID_VALUE),
        ("start=NaN", "start", ErrorCode.INVALID_VALUE),
        ("target=1e400", "target", ErrorCode.INVALID_VALUE),
        ("target=2e15", "target", ErrorCode.INVALID_VALUE),
        ("kind=SIDEWAYS", "kind", ErrorCode.INVALID_VALUE),
        ("due=2027-13", "due", ErrorCode.INVALID_VALUE),
        ("due=2027-02-30", "due", ErrorCode.INVALID_VALUE),
        ("due=next week", "due", ErrorCode.INVALID_VALUE),
        ("due=0999", "due", ErrorCode.INVALID_VALUE),
        ("owner email=not an email", "owner email", ErrorCode.INVALID_TEXT),
        ("key result=a\x01b", "key result", ErrorCode.INVALID_TEXT),
        ("key result=Gr\x00ow", "key result", ErrorCode.INVALID_TEXT),
    ],
)
def test_a_bad_cell_is_named_by_line_column_and_code(
    cells: str, column: str, code: ErrorCode
) -> None:
    name, value = cells.split("=", 1)
    text = f'objective,{name}\nGrow,"{value}"\n'
    (row,) = csv_rows.read_rows(text)
    (error,) = row.errors
    assert (error.line, error.column, error.code) == (2, column, code)


def test_kinds_read_in_any_letter_case_and_spacing() -> None:
    (row,) = csv_rows.read_rows("objective,kind\nGrow,at least\n")
    assert row.kind is KeyResultKind.AT_LEAST


def test_a_row_with_more_cells_than_the_header_is_refused_whole() -> None:
    (row,) = csv_rows.read_rows("objective\nGrow,extra\n")
    assert [(e.line, e.column) for e in row.errors] == [(2, None)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "title,owner\nGrow,ann\n",
        "objective,Objective\nGrow,Grow\n",
        'objective\n"never closed\n',
        "objective\n" + "x" * (csv_rows.MAX_BYTES + 1),
        "objective\n" + "Grow\n" * (csv_rows.MAX_ROWS + 1),
    ],
)
def test_a_file_that_is_not_rows_is_refused_with_a_code(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        csv_rows.read_rows(text)
    assert caught.value.field == ("csv",)
    assert caught.value.code is ErrorCode.INVALID_VALUE
    assert "Traceback" not in caught.value.message


def test_bytes_are_utf8_and_bounded() -> None:
    assert csv_rows.decode("objective\nÉté\n".encode()) == "objective\nÉté\n"
    for data in (b"objective\n\xff\xfe", b"x" * (csv_rows.MAX_BYTES + 1)):
        with pytest.raises(DomainError):
            csv_rows.decode(data)


@given(st.text())
def test_escaping_is_undone_by_reading_and_never_leaves_a_formula(value: str) -> None:
    escaped = csv_rows.escape(value)
    assert csv_rows.unescape(escaped) == value
    assert escaped[:1] not in set("=+-@\t\r")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "'=1"])
def test_a_formula_looking_text_is_written_behind_an_apostrophe(value: str) -> None:
    assert csv_rows.escape(value) == "'" + value


# Planning and applying --------------------------------------------------------------------------
async def test_a_dry_run_reports_each_row_and_writes_nothing(backend: Backend) -> None:
    org = await empty_org(backend)
    before = await backend.snapshot()
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=org.id, text=FILE, now=NOW, dry_run=True
    )
    assert await backend.snapshot() == before
    assert not done.applied
    assert done.dry_run
    assert [(r.line, r.item, r.action) for r in done.rows] == [
        (2, Item.OBJECTIVE, Action.CREATE),
        (3, Item.OBJECTIVE, Action.CREATE),
        (4, Item.KEY_RESULT, Action.CREATE),
    ]
    assert done.rows[0].creates == ("cycle 2027", "member ceo@acme.test")
    assert done.rows[1].creates == ("department Sales",)


async def test_apply_is_one_change_and_twice_changes_nothing(backend: Backend) -> None:
    org = await empty_org(backend)
    length = await log_length(backend, org.id)
    done = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=FILE, now=NOW)
    assert done.applied
    assert await log_length(backend, org.id) == length + 1
    held = await backend.snapshot_of(org.id)
    (deals,) = held.key_results.values()
    assert (deals.title, deals.current_value) == ("Sign 10 deals, net", 4.0)
    assert held.members[deals.owner_id or ""].email == "sam@acme.test"
    assert held.departments[deals.department_id or ""].name == "Sales"
    assert [c.value for c in await backend.store.list_check_ins(org.id, [deals.id])] == [4.0]
    global_objective = held.global_objective(2027)
    assert global_objective is not None
    assert held.members[global_objective.owner_id or ""].email == "ceo@acme.test"
    before = await backend.snapshot()
    again = await csv_import.import_csv(
        writer=backend.writer, org_id=org.id, text=FILE, now=NOW + timedelta(hours=1)
    )
    assert not again.applied
    assert {r.action for r in again.rows} == {Action.UNCHANGED}
    assert await backend.snapshot() == before


async def test_one_bad_row_refuses_the_file_and_every_bad_row_is_reported(
    backend: Backend,
) -> None:
    org = await empty_org(backend)
    text = FILE + "Win the quarter,,Flat,,,,5,5,,2027-Q1\nLost,Nowhere,,,,,,,,2027-Q2\n"
    before = await backend.snapshot()
    done = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    assert not done.applied
    assert await backend.snapshot() == before
    assert [r.action for r in done.rows] == [Action.CREATE] * 3 + [Action.REFUSED] * 2
    assert [(e.line, e.column, e.code) for e in done.refused] == [
        (5, "target", ErrorCode.NOT_MEASURABLE),
        (6, "parent", ErrorCode.NOT_FOUND),
    ]


async def test_a_changed_file_updates_in_place_and_a_new_current_is_a_check_in(
    world: World, backend: Backend
) -> None:
    text = (
        HEADER + "Fill the funnel,,Obtain 1,000 MQLs,mia@acme.test,Marketing,INCREASE,0,1200,"
        "650,2027-Q1\n"
    ).replace("Obtain 1,000 MQLs", '"Obtain 1,000 MQLs"')
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=text, now=NOW
    )
    (row,) = done.rows
    assert (row.action, row.changes) == (Action.UPDATE, ("target", "owner email", "current"))
    held = await backend.snapshot_of(world.org.id)
    mql = held.key_results[world.mql.id]
    assert (mql.target_value, mql.current_value) == (1200.0, 650.0)
    assert held.members[mql.owner_id or ""].email == "mia@acme.test"


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        ("Second global,,,,,,,,,2027", "parent", ErrorCode.DUPLICATE_GLOBAL_OBJECTIVE),
        (
            "Fill the funnel,Fill the funnel,,,,,,,,2027-Q1",
            "parent",
            ErrorCode.NOT_FOUND,
        ),
        ("Other year,Fill the funnel,,,,,,,,2028-Q1", "parent", ErrorCode.NOT_FOUND),
        ("Fill the funnel,,Later,,,,0,5,3,2027-Q3", "current", ErrorCode.INVALID_VALUE),
        ("Fill the funnel,,,,,,5,,,2027-Q1", "start", ErrorCode.INVALID_VALUE),
        ("Fill the funnel,,,,,,,,,", "due", ErrorCode.INVALID_VALUE),
        ("Ghost,,Ship,,,,0,1,,", "objective", ErrorCode.NOT_FOUND),
        ("Fill the funnel,,Ship,,,DECREASE,0,3,,2027-Q1", "target", ErrorCode.NOT_MEASURABLE),
        ("Fill the funnel,,Ship,,,MILESTONE,0,3,,2027-Q1", "target", ErrorCode.NOT_MEASURABLE),
        (",,Ship,,,,0,1,,2027-Q1", "objective", ErrorCode.INVALID_TEXT),
    ],
)
async def test_rules_of_the_method_refuse_a_row_by_column(
    world: World, backend: Backend, line: str, column: str, code: ErrorCode
) -> None:
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=HEADER + line + "\n", now=NOW
    )
    (error,) = done.refused
    assert (error.line, error.column, error.code) == (2, column, code), error.message


async def test_a_team_past_its_limit_and_a_closed_cycle_are_refused(
    world: World, backend: Backend
) -> None:
    rows = "".join(f"Team goal {n},,,,Sales,,,,,2027-Q2\n" for n in range(6))
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=HEADER + rows, now=NOW
    )
    assert [e.code for e in done.refused] == [ErrorCode.TOO_MANY_OBJECTIVES]
    await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=NOW
    )
    done = await csv_import.import_csv(
        writer=backend.writer,
        org_id=world.org.id,
        text=HEADER + "Fill the funnel,,New one,,,,0,1,,2027-Q1\n",
        now=NOW,
    )
    assert [e.code for e in done.refused] == [ErrorCode.CYCLE_CLOSED]


async def test_a_parent_that_would_loop_or_is_ambiguous_is_refused(
    world: World, backend: Backend
) -> None:
    text = (
        HEADER
        + "Increase the sales close rate by 20%,,,,,,,,,2027\n"
        + "Increase the sales close rate by 20%,Fill the funnel,,,,,,,,2027\n"
    )
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=text, now=NOW
    )
    assert [(e.line, e.code) for e in done.refused] == [(3, ErrorCode.INVALID_PARENT)]
    twice = HEADER + "Twin,,,,,,,,,2027-Q2\nTwin,,,,,,,,,2027-Q3\nChild,Twin,,,,,,,,2027-Q4\n"
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=twice, now=NOW
    )
    assert [(e.line, e.code) for e in done.refused] == [(4, ErrorCode.INVALID_PARENT)]


async def test_months_are_made_under_their_quarter_and_a_date_lands_in_its_quarter(
    backend: Backend,
) -> None:
    org = await empty_org(backend)
    text = HEADER + "In May,,,,,,,,,2027-05\nMid year,,,,,,,,,2027-06-30\n"
    done = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    assert done.applied, done.refused
    held = await backend.snapshot_of(org.id)
    labels = {held.cycles[o.cycle_id].label: o.title for o in held.objective_list()}
    assert labels == {"2027-05": "In May", "2027-Q2": "Mid year"}


async def test_a_blank_column_clears_and_an_absent_column_keeps(
    world: World, backend: Backend
) -> None:
    await csv_import.import_csv(
        writer=backend.writer,
        org_id=world.org.id,
        text='objective,key result,due,target\nFill the funnel,"Obtain 1,000 MQLs",2027-Q1,900\n',
        now=NOW,
    )
    held = await backend.snapshot_of(world.org.id)
    assert held.key_results[world.mql.id].department_id == world.marketing.id
    assert held.key_results[world.mql.id].target_value == 900.0
    await csv_import.import_csv(
        writer=backend.writer,
        org_id=world.org.id,
        text='objective,key result,due,department\nFill the funnel,"Obtain 1,000 MQLs",2027-Q1,\n',
        now=NOW,
    )
    held = await backend.snapshot_of(world.org.id)
    assert held.key_results[world.mql.id].department_id is None


async def test_an_export_reads_back_as_unchanged(world: World, backend: Backend) -> None:
    held = await backend.snapshot_of(world.org.id)
    text = csv_import.export_csv(held)
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=world.org.id, text=text, now=NOW
    )
    assert {r.action for r in done.rows} == {Action.UNCHANGED}, done.refused


async def test_a_new_organization_is_made_by_the_same_one_change(backend: Backend) -> None:
    org = Organization(id=new_id(), name="New", slug="new-one")
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=org.id, text=FILE, now=NOW, creating=org
    )
    assert done.applied
    assert await log_length(backend, org.id) == 1
    taken = Organization(id=new_id(), name="Again", slug="new-one")
    with pytest.raises(DomainError) as caught:
        await csv_import.import_csv(
            writer=backend.writer, org_id=taken.id, text=FILE, now=NOW, creating=taken
        )
    assert caught.value.code is ErrorCode.DUPLICATE


# Export → import → export -------------------------------------------------------------------------
TITLE = st.text(
    alphabet=st.sampled_from(string.ascii_letters + " ,\"'=+-@\n;é中"), min_size=1, max_size=12
).filter(lambda t: t.strip() != "" and t.strip() == t)
EMAIL = st.builds(
    lambda who, lead: f"{lead}{who}@acme.test",
    st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=5),
    st.sampled_from(["", "-", "+", "="]),
)
NUMBER = st.one_of(
    st.integers(-1000, 1000).map(float), st.floats(-1e6, 1e6, allow_nan=False).map(float)
)


@dataclass(frozen=True)
class KeyResultSpec:
    title: str
    kind: KeyResultKind
    start: float
    target: float
    current: float | None
    department: int | None
    owner: str | None


@dataclass(frozen=True)
class ObjectiveSpec:
    title: str
    quarter: int
    parent: int | None
    department: int | None
    owner: str | None
    key_results: list[KeyResultSpec]


@st.composite
def key_result_specs(draw: st.DrawFn) -> KeyResultSpec:
    kind = draw(st.sampled_from(list(KeyResultKind)))
    start = draw(NUMBER)
    target = draw(NUMBER.filter(lambda t: abs(t - start) >= 1e-3))
    if kind is KeyResultKind.INCREASE:
        start, target = min(start, target), max(start, target)
    if kind is KeyResultKind.DECREASE:
        start, target = max(start, target), min(start, target)
    if kind is KeyResultKind.AT_LEAST:
        target = abs(target) + 1
    if kind is KeyResultKind.MILESTONE:
        start, target = 0.0, 1.0
    return KeyResultSpec(
        title=draw(TITLE),
        kind=kind,
        start=start,
        target=target,
        current=draw(st.none() | NUMBER),
        department=draw(st.none() | st.integers(0, 2)),
        owner=draw(st.none() | EMAIL),
    )


@st.composite
def organizations_(draw: st.DrawFn) -> tuple[str | None, list[ObjectiveSpec]]:
    count = draw(st.integers(0, 6))
    titles = draw(st.lists(TITLE, min_size=count, max_size=count, unique=True))
    specs: list[ObjectiveSpec] = []
    for n, title in enumerate(titles):
        krs = draw(st.lists(key_result_specs(), max_size=3, unique_by=lambda k: k.title))
        specs.append(
            ObjectiveSpec(
                title=title,
                quarter=draw(st.integers(1, 4)),
                parent=draw(st.none() | st.integers(0, n - 1)) if n else None,
                department=draw(st.none() | st.integers(0, 2)),
                owner=draw(st.none() | EMAIL),
                key_results=krs,
            )
        )
    global_title = draw(st.none() | TITLE.filter(lambda t: t not in titles))
    return global_title, specs


async def owner_of(backend: Backend, org_id: str, email: str | None) -> str | None:
    """The member with this email (made by its own change when missing)."""
    if email is None:
        return None
    made = await members.member_for_email(
        writer=backend.writer, org_id=org_id, email=email, now=NOW
    )
    return made.id


async def build(backend: Backend, spec: tuple[str | None, list[ObjectiveSpec]]) -> str:
    org = await empty_org(backend, "generated")
    writer = backend.writer
    departments = [
        await organizations.create_department(writer=writer, org_id=org.id, name=name, now=NOW)
        for name in ("Marketing", "=Sales", "Ops, Inc")
    ]
    year, *quarters = await cycles.create_year(writer=writer, org_id=org.id, year=2027, now=NOW)
    global_title, specs = spec
    top = None
    if global_title is not None:
        made = await objectives.create_objective(
            writer=writer, org_id=org.id, cycle_id=year.id, title=global_title, now=NOW
        )
        top = made.objective.id if made.objective is not None else None
    ids: list[str] = []
    teams: dict[tuple[int, int], int] = {}  # a team has at most 5 objectives in a quarter
    for o in specs:
        team = None
        if o.department is not None and teams.get((o.department, o.quarter), 0) < 5:
            teams[o.department, o.quarter] = teams.get((o.department, o.quarter), 0) + 1
            team = departments[o.department].id
        made = await objectives.create_objective(
            writer=writer,
            org_id=org.id,
            cycle_id=quarters[o.quarter - 1].id,
            title=o.title,
            parent_id=ids[o.parent] if o.parent is not None else top,
            department_id=team,
            owner_id=await owner_of(backend, org.id, o.owner),
            now=NOW,
        )
        assert made.objective is not None
        ids.append(made.objective.id)
        for k in o.key_results:
            kr = await key_results.create_key_result(
                writer=writer,
                org_id=org.id,
                objective_id=made.objective.id,
                title=k.title,
                kind=k.kind,
                start_value=k.start,
                target_value=k.target,
                department_id=departments[k.department].id if k.department is not None else None,
                owner_id=await owner_of(backend, org.id, k.owner),
                now=NOW,
            )
            assert kr.key_result is not None
            if k.current is not None and o.quarter == 1:
                await check_ins.record_check_in(
                    writer=writer,
                    org_id=org.id,
                    key_result_id=kr.key_result.id,
                    value=k.current,
                    now=NOW,
                )
    return org.id


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(organizations_())
async def test_export_import_into_an_empty_organization_export_is_the_identity(
    spec: tuple[str | None, list[ObjectiveSpec]],
) -> None:
    backend = await fresh()
    org_id = await build(backend, spec)
    exported = csv_import.export_csv(await backend.snapshot_of(org_id))
    target = Organization(id=new_id(), name="Copy", slug="copy")
    done = await csv_import.import_csv(
        writer=backend.writer, org_id=target.id, text=exported, now=NOW, creating=target
    )
    assert not done.refused, done.refused
    again = csv_import.export_csv(await backend.snapshot_of(target.id))
    assert again == exported
    twice = await csv_import.import_csv(
        writer=backend.writer, org_id=target.id, text=exported, now=NOW
    )
    assert not twice.applied
    assert {r.action for r in twice.rows} <= {Action.UNCHANGED}


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okrs.csv"


async def test_the_readme_example_is_the_example_file_and_imports_cleanly(
    backend: Backend,
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    readme = (EXAMPLE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"```csv\n{text}```" in readme
    org = await empty_org(backend)
    done = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    assert done.applied, done.refused
    assert csv_import.export_csv(await backend.snapshot_of(org.id)).replace("\r\n", "\n") == text


# Owners are members -------------------------------------------------------------------------------
async def test_an_owner_email_names_a_member_made_once_and_found_in_any_letter_case(
    backend: Backend,
) -> None:
    org = await empty_org(backend)
    ann = await members.invite_member(
        writer=backend.writer, org_id=org.id, name="Ann", email="Ann@Acme.test", now=NOW
    )
    text = HEADER + "Grow,,,ann@acme.test,,,,,,2027-Q1\nGrow,,Ship,new@acme.test,,,0,1,,2027-Q1\n"
    dry = await csv_import.import_csv(
        writer=backend.writer, org_id=org.id, text=text, now=NOW, dry_run=True
    )
    assert [r.creates for r in dry.rows] == [("cycle 2027",), ("member new@acme.test",)]
    await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    held = await backend.snapshot_of(org.id)
    (grow,) = held.objective_list()
    (ship,) = held.key_result_list()
    assert grow.owner_id == ann.id
    made = held.members[ship.owner_id or ""]
    assert (made.name, made.email, made.active) == ("new", "new@acme.test", True)
    assert len(held.members) == 2
    exported = csv_import.export_csv(held)
    assert "Grow,,,Ann@Acme.test," in exported
    again = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    assert {r.action for r in again.rows} == {Action.UNCHANGED}


async def test_a_deactivated_member_cannot_be_given_an_okr_but_keeps_theirs(
    backend: Backend,
) -> None:
    org = await empty_org(backend)
    text = HEADER + "Grow,,,ann@acme.test,,,,,,2027-Q1\n"
    await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    held = await backend.snapshot_of(org.id)
    (ann,) = held.members.values()
    await members.deactivate_member(writer=backend.writer, org_id=org.id, member_id=ann.id, now=NOW)
    kept = await csv_import.import_csv(writer=backend.writer, org_id=org.id, text=text, now=NOW)
    assert [r.action for r in kept.rows] == [Action.UNCHANGED]
    given = await csv_import.import_csv(
        writer=backend.writer,
        org_id=org.id,
        text=text + "Other,,,ann@acme.test,,,,,,2027-Q1\n",
        now=NOW,
    )
    assert [(e.line, e.column, e.code) for e in given.refused] == [
        (3, "owner email", ErrorCode.MEMBER_INACTIVE)
    ]


async def test_a_free_text_owner_not_yet_a_member_is_written_as_the_email_it_will_have(
    world: World, backend: Backend
) -> None:
    held = await backend.snapshot_of(world.org.id)
    legacy = replace(held.objectives[world.q1.id], owner_id=None, legacy_owner="Marta (Marketing)")
    await backend.writer.commit(
        world.org.id,
        lambda snapshot: _draft(snapshot, legacy),
        actor=None,
        at=NOW,
    )
    exported = csv_import.export_csv(await backend.snapshot_of(world.org.id))
    placeholder = member_rules.owner_email("Marta (Marketing)")
    assert f"Fill the funnel,Increase the sales close rate by 20%,,{placeholder}," in exported


async def _draft(snapshot: Snapshot, objective: Objective) -> Draft[None]:
    return Draft("objectiveUpdate", [put(snapshot, objective)], None, "Objective", objective.id)
