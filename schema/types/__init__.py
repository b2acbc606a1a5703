"""The object types of the contract, one module each, built from domain objects
(`from_domain`); they refer to each other lazily (`strawberry.lazy`).

Resolvers stay thin: they read the request's snapshot of the object's organization through its
loaders (`Context.loaders`), or delegate to `schema.standings` and `schema.tracking`; none holds a
rule. Every object keeps its domain value privately (`domain`), so every lookup it makes is in
its own organization.
"""

from schema.types.action_step import ActionStep
from schema.types.audit import Change, ChangeFilter
from schema.types.check_in import CheckIn
from schema.types.cycle import Cycle
from schema.types.department import Department
from schema.types.initiative import Initiative
from schema.types.key_result import KeyResult
from schema.types.key_result_link import KeyResultLink
from schema.types.member import Member
from schema.types.objective import Objective, PathLevel, PathStep
from schema.types.organization import Organization, organization_or_none
from schema.types.policy import Policy
from schema.types.viewer import Viewer
from schema.types.webhook import Webhook, WebhookDelivery

__all__ = [
    "ActionStep",
    "Change",
    "ChangeFilter",
    "CheckIn",
    "Cycle",
    "Department",
    "Initiative",
    "KeyResult",
    "KeyResultLink",
    "Member",
    "Objective",
    "Organization",
    "PathLevel",
    "PathStep",
    "Policy",
    "Viewer",
    "Webhook",
    "WebhookDelivery",
    "organization_or_none",
]
