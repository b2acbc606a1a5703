"""Every id argument and id input field: where another organization's id, an operator or an
id carrying operator text must behave as an unknown id."""

from __future__ import annotations

from tests.security.slots import ERRORS, Slot, mutation, on, org

ID_SLOTS = [
    Slot(
        "objectiveCreate(input.owner)",
        mutation("objectiveCreate", "input: $input", "objective { id }"),
        lambda a: {
            "input": {
                "cycleId": a.cycle,
                "title": "Owned",
                "parentId": a.objective,
                "owner": a.member,
            }
        },
        ("input", "owner"),
        "member",
    ),
    Slot(
        "keyResultUpdate(input.owner)",
        mutation("keyResultUpdate", "id: $c, input: $input", "keyResult { id }"),
        lambda a: {"c": a.key_result, "input": {"owner": a.member}},
        ("input", "owner"),
        "member",
    ),
    Slot(
        "initiativeCreate(input.owner)",
        mutation("initiativeCreate", "input: $input", "initiative { id }"),
        lambda a: {
            "input": {
                "organizationId": a.org,
                "title": "Owned",
                "cost": 1,
                "expectedValue": 2,
                "owner": a.member,
            }
        },
        ("input", "owner"),
        "member",
    ),
    Slot(
        "memberUpdate(id)",
        mutation("memberUpdate", "id: $v, input: $input", "member { id }"),
        lambda a: {"v": a.member, "input": {"name": "Mia"}},
        ("v",),
        "member",
    ),
    Slot(
        "memberDeactivate(id)",
        mutation("memberDeactivate", "id: $v", "member { id }"),
        lambda a: {"v": a.member},
        ("v",),
        "member",
    ),
    Slot(
        "Member.keyResults(cycleId)",
        on("Member", "keyResults(cycleId: $v) { id }", "$v: ID!"),
        lambda a: {"at": a.member, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "node(id)",
        "query($v: ID!) { node(id: $v) { id } }",
        lambda a: {"v": a.key_result},
        ("v",),
        "key_result",
    ),
    Slot(
        "nodes(ids)",
        "query($v: [ID!]!) { nodes(ids: $v) { id } }",
        lambda a: {"v": [a.key_result, a.child]},
        ("v", 0),
        "key_result",
    ),
    Slot(
        "organization(id)",
        "query($v: ID!) { organization(id: $v) { id name } }",
        lambda a: {"v": a.org},
        ("v",),
        "org",
    ),
    Slot(
        "Organization.objectives(cycleId)",
        org("objectives(cycleId: $v) { totalCount nodes { id } }", "$v: ID"),
        lambda a: {"at": a.org, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "Organization.objectives(departmentId)",
        org("objectives(departmentId: $v) { totalCount nodes { id } }", "$v: ID"),
        lambda a: {"at": a.org, "v": a.department},
        ("v",),
        "department",
    ),
    Slot(
        "Organization.health(cycleId)",
        org("health(cycleId: $v) { findings { code nodeId } }", "$v: ID!"),
        lambda a: {"at": a.org, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "Organization.checkInsDue(cycleId)",
        org("checkInsDue(cycleId: $v) { lateSeconds keyResults { lateSeconds } }", "$v: ID!"),
        lambda a: {"at": a.org, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "Cycle.objectives(departmentId)",
        on("Cycle", "objectives(departmentId: $v) { totalCount }", "$v: ID"),
        lambda a: {"at": a.year, "v": a.department},
        ("v",),
        "department",
    ),
    Slot(
        "Department.progress(cycleId)",
        on("Department", "progress(cycleId: $v) { value status }", "$v: ID!"),
        lambda a: {"at": a.department, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "Department.keyResults(cycleId)",
        on("Department", "keyResults(cycleId: $v) { totalCount nodes { id } }", "$v: ID"),
        lambda a: {"at": a.department, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "Department.progressSeries(cycleId)",
        on(
            "Department",
            'progressSeries(cycleId: $v, from: "2027-01-01T00:00:00Z", '
            'to: "2027-02-01T00:00:00Z", interval: WEEK) { at value }',
            "$v: ID!",
        ),
        lambda a: {"at": a.department, "v": a.cycle},
        ("v",),
        "cycle",
    ),
    Slot(
        "organizationUpdate(id)",
        mutation("organizationUpdate", 'id: $v, input: {name: "Renamed"}', "organization { id }"),
        lambda a: {"v": a.org},
        ("v",),
        "org",
    ),
    Slot(
        "departmentCreate.organizationId",
        mutation("departmentCreate", "input: $input", "department { id }"),
        lambda a: {"input": {"organizationId": a.org, "name": "Legal"}},
        ("input", "organizationId"),
        "org",
    ),
    Slot(
        "organizationImportCsv.organizationId",
        mutation("organizationImportCsv", "input: $input", "organization { id }"),
        lambda a: {"input": {"organizationId": a.org, "csv": "objective,due\nLegal,2031\n"}},
        ("input", "organizationId"),
        "org",
    ),
    Slot(
        "cycleCreate.organizationId",
        mutation("cycleCreate", "input: $input", "cycle { id }"),
        lambda a: {"input": {"organizationId": a.org, "year": 2031}},
        ("input", "organizationId"),
        "org",
    ),
    Slot(
        "cycleClose(id)",
        mutation("cycleClose", "id: $v", "cycle { id }"),
        lambda a: {"v": a.cycle},
        ("v",),
        "cycle",
    ),
    *[
        Slot(
            f"objectiveCreate.{field}",
            mutation("objectiveCreate", "input: $input", "objective { id }"),
            lambda a: {
                "input": {
                    "cycleId": a.cycle,
                    "title": "New",
                    "parentId": a.objective,
                    "departmentId": a.department,
                }
            },
            ("input", field),
            kind,
        )
        for field, kind in (
            ("cycleId", "cycle"),
            ("parentId", "objective"),
            ("departmentId", "department"),
        )
    ],
    Slot(
        "objectiveUpdate(id)",
        mutation("objectiveUpdate", 'id: $v, input: {title: "T"}', "objective { id }"),
        lambda a: {"v": a.child},
        ("v",),
        "child",
    ),
    *[
        Slot(
            f"objectiveUpdate.{field}",
            mutation("objectiveUpdate", "id: $c, input: $input", "objective { id }"),
            lambda a: {"c": a.child, "input": {}},
            ("input", field),
            kind,
        )
        for field, kind in (("parentId", "objective"), ("departmentId", "department"))
    ],
    Slot(
        "objectiveDelete(id)",
        mutation("objectiveDelete", "id: $v", "deletedId"),
        lambda a: {"v": a.child},
        ("v",),
        "child",
    ),
    *[
        Slot(
            f"keyResultCreate.{field}",
            mutation("keyResultCreate", "input: $input", "keyResult { id }"),
            lambda a: {
                "input": {
                    "objectiveId": a.child,
                    "title": "New",
                    "startValue": 0,
                    "targetValue": 10,
                    "departmentId": a.department,
                }
            },
            ("input", field),
            kind,
        )
        for field, kind in (("objectiveId", "child"), ("departmentId", "department"))
    ],
    Slot(
        "keyResultUpdate(id)",
        mutation("keyResultUpdate", 'id: $v, input: {title: "T"}', "keyResult { id }"),
        lambda a: {"v": a.key_result},
        ("v",),
        "key_result",
    ),
    Slot(
        "keyResultUpdate.departmentId",
        mutation("keyResultUpdate", "id: $c, input: $input", "keyResult { id }"),
        lambda a: {"c": a.key_result, "input": {"departmentId": a.department}},
        ("input", "departmentId"),
        "department",
    ),
    Slot(
        "keyResultDelete(id)",
        mutation("keyResultDelete", "id: $v", "deletedId"),
        lambda a: {"v": a.key_result},
        ("v",),
        "key_result",
    ),
    *[
        Slot(
            f"{name}.{field}",
            mutation(name, "input: $input", "keyResult { id }"),
            lambda a: {"input": {"keyResultId": a.key_result, "dependsOnId": a.upstream}},
            ("input", field),
            kind,
        )
        for name in ("keyResultDependencyAdd", "keyResultDependencyRemove")
        for field, kind in (("keyResultId", "key_result"), ("dependsOnId", "upstream"))
    ],
    *[
        Slot(
            f"{name}.{field}",
            mutation(name, "input: $input", "keyResult { id } objective { id }"),
            lambda a: {"input": {"keyResultId": a.key_result, "objectiveId": a.objective}},
            ("input", field),
            kind,
        )
        for name in ("keyResultAlign", "keyResultUnalign")
        for field, kind in (("keyResultId", "key_result"), ("objectiveId", "objective"))
    ],
    Slot(
        "checkInCreate.keyResultId",
        mutation("checkInCreate", "input: $input", "checkIn { id }"),
        lambda a: {"input": {"keyResultId": a.key_result, "value": 5}},
        ("input", "keyResultId"),
        "key_result",
    ),
    Slot(
        "checkInDelete(id)",
        mutation("checkInDelete", "id: $v", "deletedId"),
        lambda a: {"v": a.check_in},
        ("v",),
        "check_in",
    ),
    Slot(
        "objectiveProgressOverride.objectiveId",
        mutation("objectiveProgressOverride", "input: $input", "objective { id }"),
        lambda a: {"input": {"objectiveId": a.child, "value": 0.5, "reason": "Pilot"}},
        ("input", "objectiveId"),
        "child",
    ),
    Slot(
        "objectiveProgressOverrideClear(objectiveId)",
        "mutation($v: ID!) { objectiveProgressOverrideClear(objectiveId: $v) "
        "{ objective { id } userErrors { field message code } } }",
        lambda a: {"v": a.child},
        ("v",),
        "child",
    ),
    Slot(
        "actionStepAdd.objectiveId",
        mutation("actionStepAdd", "input: $input", "actionStep { id }"),
        lambda a: {"input": {"objectiveId": a.child, "title": "Call"}},
        ("input", "objectiveId"),
        "child",
    ),
    Slot(
        "actionStepUpdate(id)",
        mutation("actionStepUpdate", "id: $v, input: {done: true}", "actionStep { id }"),
        lambda a: {"v": a.action_step},
        ("v",),
        "action_step",
    ),
    *[
        Slot(
            f"initiativeCreate.{'.'.join(map(str, path))}",
            mutation("initiativeCreate", "input: $input", "initiative { id }"),
            lambda a: {
                "input": {
                    "organizationId": a.org,
                    "title": "Ads",
                    "cost": 1,
                    "expectedValue": 3,
                    "keyResultIds": [a.key_result],
                }
            },
            ("input", *path),
            kind,
        )
        for path, kind in ((("organizationId",), "org"), (("keyResultIds", 0), "key_result"))
    ],
    *[
        Slot(
            f"{name}.{field}",
            mutation(name, "input: $input", "initiative { id }"),
            lambda a: {"input": {"initiativeId": a.initiative, "keyResultId": a.key_result}},
            ("input", field),
            kind,
        )
        for name in ("initiativeLink", "initiativeUnlink")
        for field, kind in (("initiativeId", "initiative"), ("keyResultId", "key_result"))
    ],
    Slot(
        "keyResultCarryOver(id)",
        "mutation($v: ID!, $c: ID!) { keyResultCarryOver(id: $v, cycleId: $c) "
        f"{{ keyResult {{ id }} {ERRORS} }} }}",
        lambda a: {"v": a.key_result, "c": a.later},
        ("v",),
        "key_result",
    ),
    Slot(
        "keyResultCarryOver(cycleId)",
        "mutation($v: ID!, $c: ID!) { keyResultCarryOver(id: $v, cycleId: $c) "
        f"{{ keyResult {{ id }} {ERRORS} }} }}",
        lambda a: {"v": a.key_result, "c": a.later},
        ("c",),
        "later",
    ),
]
