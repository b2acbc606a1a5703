"""Members as use cases: found or made by email, one change each, and the carried copy of an
objective keeps its owner."""

from __future__ import annotations

from service.domain.errors import ErrorCode
from service.domain.model import MemberRole
from service.okrs import key_results, members, objectives
from tests.okrs.conftest import NOW, Backend, World


async def test_a_member_is_found_by_email_whatever_the_case_or_made_once(
    backend: Backend, world: World
) -> None:
    made = await members.member_for_email(
        writer=backend.writer, org_id=world.org.id, email=" Ana@Acme.example ", now=NOW
    )
    assert (made.name, made.email, made.role) == ("Ana", "Ana@Acme.example", MemberRole.VIEWER)
    first = await backend.store.last_change(world.org.id)
    assert first is not None
    assert first.kind == "memberInvite"
    found = await members.member_for_email(
        writer=backend.writer,
        org_id=world.org.id,
        email="ana@ACME.example",
        name="Someone else",
        role=MemberRole.ADMIN,
        now=NOW,
    )
    assert found == made  # as she is: nothing written
    assert await backend.store.last_change(world.org.id) == first
    named = await members.member_for_email(
        writer=backend.writer,
        org_id=world.org.id,
        email="bo@acme.example",
        name="Bo",
        role=MemberRole.EDITOR,
        now=NOW,
        kind="organizationImportCsv",
    )
    assert (named.name, named.role) == ("Bo", MemberRole.EDITOR)
    last = await backend.store.last_change(world.org.id)
    assert last is not None
    assert (last.kind, last.sequence) == ("organizationImportCsv", first.sequence + 1)
    await backend.rejects(
        ErrorCode.INVALID_TEXT,
        lambda: members.member_for_email(
            writer=backend.writer, org_id=world.org.id, email="no address", now=NOW
        ),
    )


async def test_a_carried_over_objective_keeps_its_owner_even_deactivated(
    backend: Backend, world: World
) -> None:
    ana = await members.invite_member(
        writer=backend.writer, org_id=world.org.id, name="Ana", email="ana@x.example", now=NOW
    )
    await objectives.update_objective(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        owner_id=ana.id,
        now=NOW,
    )
    made = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Webinars",
        start_value=0,
        target_value=6,
        owner_id=ana.id,
        now=NOW,
    )
    assert made.key_result is not None
    await members.deactivate_member(
        writer=backend.writer, org_id=world.org.id, member_id=ana.id, now=NOW
    )
    carried = await key_results.carry_over(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=made.key_result.id,
        cycle_id=world.quarters[1].id,
        now=NOW,
    )
    assert carried.key_result is not None
    assert carried.key_result.owner_id == ana.id
    home = carried.snapshot.objectives[carried.key_result.objective_id]
    assert home.owner_id == ana.id
