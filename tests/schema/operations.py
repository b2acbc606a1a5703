"""One document per mutation, each asking for its whole payload, shared by the tests."""

from __future__ import annotations

ERRORS = "userErrors { field message code }"

ORG_FIELDS = """id name slug mission vision
  policy { onTrackRatio atRiskRatio maxObjectivesPerTeam minObjectivesPerTeam roiThreshold
           staleAfterDays }"""
CYCLE_FIELDS = """id kind label year quarter month startsOn endsOn closed closedAt
  parent { id } children { id kind label quarter startsOn endsOn }"""
OBJECTIVE_FIELDS = """id title description owner { id name email } weight lessonsLearned score
  cycle { id } department { id } parent { id } carriedOverFrom { id }"""
KEY_RESULT_FIELDS = """id title kind unit startValue targetValue currentValue
  owner { id name email } weight score confidence lastCheckInAt
  objective { id title carriedOverFrom { id } parent { id } }
  cycle { id } department { id } dependsOn { id } carriedOverFrom { id }"""
STEP_FIELDS = "id title owner { id name email } dueOn done position objective { id }"
INITIATIVE_FIELDS = (
    "id title cost expectedValue roi aligned keyResults { id } owner { id name email }"
)
MEMBER_FIELDS = "id name email role active"

ORGANIZATION_CREATE = f"""
mutation OrganizationCreate($input: OrganizationCreateInput!) {{
  organizationCreate(input: $input) {{ organization {{ {ORG_FIELDS} }} {ERRORS} }}
}}"""

ORGANIZATION_UPDATE = f"""
mutation OrganizationUpdate($id: ID!, $input: OrganizationUpdateInput!) {{
  organizationUpdate(id: $id, input: $input) {{ organization {{ {ORG_FIELDS} }} {ERRORS} }}
}}"""

DEPARTMENT_CREATE = f"""
mutation DepartmentCreate($input: DepartmentCreateInput!) {{
  departmentCreate(input: $input) {{ department {{ id name organization {{ id }} }} {ERRORS} }}
}}"""

CYCLE_CREATE = f"""
mutation CycleCreate($input: CycleCreateInput!) {{
  cycleCreate(input: $input) {{ cycle {{ {CYCLE_FIELDS} }} {ERRORS} }}
}}"""

CYCLE_CLOSE = f"""
mutation CycleClose($id: ID!) {{
  cycleClose(id: $id) {{
    cycle {{ {CYCLE_FIELDS} }}
    closedCycles {{ id label closed }}
    {ERRORS}
  }}
}}"""

OBJECTIVE_CREATE = f"""
mutation ObjectiveCreate($input: ObjectiveCreateInput!) {{
  objectiveCreate(input: $input) {{ objective {{ {OBJECTIVE_FIELDS} }} {ERRORS} }}
}}"""

OBJECTIVE_UPDATE = f"""
mutation ObjectiveUpdate($id: ID!, $input: ObjectiveUpdateInput!) {{
  objectiveUpdate(id: $id, input: $input) {{ objective {{ {OBJECTIVE_FIELDS} }} {ERRORS} }}
}}"""

OBJECTIVE_DELETE = f"""
mutation ObjectiveDelete($id: ID!) {{
  objectiveDelete(id: $id) {{ deletedId {ERRORS} }}
}}"""

KEY_RESULT_CREATE = f"""
mutation KeyResultCreate($input: KeyResultCreateInput!) {{
  keyResultCreate(input: $input) {{ keyResult {{ {KEY_RESULT_FIELDS} }} {ERRORS} }}
}}"""

KEY_RESULT_UPDATE = f"""
mutation KeyResultUpdate($id: ID!, $input: KeyResultUpdateInput!) {{
  keyResultUpdate(id: $id, input: $input) {{ keyResult {{ {KEY_RESULT_FIELDS} }} {ERRORS} }}
}}"""

KEY_RESULT_DELETE = f"""
mutation KeyResultDelete($id: ID!) {{
  keyResultDelete(id: $id) {{ deletedId {ERRORS} }}
}}"""

DEPENDENCY_ADD = f"""
mutation DependencyAdd($input: KeyResultDependencyAddInput!) {{
  keyResultDependencyAdd(input: $input) {{
    keyResult {{ id dependsOn {{ id }} dependents {{ id }} }} {ERRORS}
  }}
}}"""

DEPENDENCY_REMOVE = f"""
mutation DependencyRemove($input: KeyResultDependencyRemoveInput!) {{
  keyResultDependencyRemove(input: $input) {{
    keyResult {{ id dependsOn {{ id }} dependents {{ id }} }} {ERRORS}
  }}
}}"""

CARRY_OVER = f"""
mutation CarryOver($id: ID!, $cycleId: ID!) {{
  keyResultCarryOver(id: $id, cycleId: $cycleId) {{ keyResult {{ {KEY_RESULT_FIELDS} }} {ERRORS} }}
}}"""

CHECK_IN_CREATE = f"""
mutation CheckInCreate($input: CheckInCreateInput!) {{
  checkInCreate(input: $input) {{
    checkIn {{ id value confidence note recordedAt author keyResult {{ id }} }}
    created
    keyResult {{ id currentValue confidence lastCheckInAt progress {{ value status }} }}
    {ERRORS}
  }}
}}"""

CHECK_IN_DELETE = f"""
mutation CheckInDelete($id: ID!) {{
  checkInDelete(id: $id) {{
    deletedId
    keyResult {{ id currentValue confidence lastCheckInAt progress {{ value status }} }}
    {ERRORS}
  }}
}}"""

ACTION_STEP_ADD = f"""
mutation ActionStepAdd($input: ActionStepAddInput!) {{
  actionStepAdd(input: $input) {{ actionStep {{ {STEP_FIELDS} }} {ERRORS} }}
}}"""

ACTION_STEP_UPDATE = f"""
mutation ActionStepUpdate($id: ID!, $input: ActionStepUpdateInput!) {{
  actionStepUpdate(id: $id, input: $input) {{ actionStep {{ {STEP_FIELDS} }} {ERRORS} }}
}}"""

INITIATIVE_CREATE = f"""
mutation InitiativeCreate($input: InitiativeCreateInput!) {{
  initiativeCreate(input: $input) {{ initiative {{ {INITIATIVE_FIELDS} }} {ERRORS} }}
}}"""

INITIATIVE_LINK = f"""
mutation InitiativeLink($input: InitiativeLinkInput!) {{
  initiativeLink(input: $input) {{ initiative {{ {INITIATIVE_FIELDS} }} {ERRORS} }}
}}"""

INITIATIVE_UNLINK = f"""
mutation InitiativeUnlink($input: InitiativeUnlinkInput!) {{
  initiativeUnlink(input: $input) {{ initiative {{ {INITIATIVE_FIELDS} }} {ERRORS} }}
}}"""

LINKS = "links { objective { id } weight home keyResult { id } }"

KEY_RESULT_ALIGN = f"""
mutation KeyResultAlign($input: KeyResultAlignInput!) {{
  keyResultAlign(input: $input) {{
    keyResult {{ id {LINKS} objectives {{ id }} }}
    objective {{ id keyResults {{ id }} keyResultLinks {{ keyResult {{ id }} weight home }} }}
    {ERRORS}
  }}
}}"""

KEY_RESULT_UNALIGN = f"""
mutation KeyResultUnalign($input: KeyResultUnalignInput!) {{
  keyResultUnalign(input: $input) {{
    keyResult {{ id {LINKS} objectives {{ id }} }}
    objective {{ id keyResults {{ id }} keyResultLinks {{ keyResult {{ id }} weight home }} }}
    {ERRORS}
  }}
}}"""

CSV_IMPORT = f"""
mutation CsvImport($input: OrganizationImportCsvInput!) {{
  organizationImportCsv(input: $input) {{
    dryRun applied organization {{ id slug }}
    rows {{ line item title action changes creates errors {{ line column code message }} }}
    {ERRORS}
  }}
}}"""

MEMBER_INVITE = f"""
mutation MemberInvite($input: MemberInviteInput!) {{
  memberInvite(input: $input) {{ member {{ {MEMBER_FIELDS} }} {ERRORS} }}
}}"""

MEMBER_UPDATE = f"""
mutation MemberUpdate($id: ID!, $input: MemberUpdateInput!) {{
  memberUpdate(id: $id, input: $input) {{ member {{ {MEMBER_FIELDS} }} {ERRORS} }}
}}"""

MEMBER_DEACTIVATE = f"""
mutation MemberDeactivate($id: ID!) {{
  memberDeactivate(id: $id) {{ member {{ {MEMBER_FIELDS} }} {ERRORS} }}
}}"""
