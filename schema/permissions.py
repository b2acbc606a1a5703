"""Roles on mutations: viewers read, editors change OKRs, admins manage the organization.

A refusal is a top-level error with code FORBIDDEN, raised before the resolver runs, so nothing
changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from schema.context import Info
from service.auth import Role


class _Needs(BasePermission):
    role: ClassVar[Role]

    def __init__(self) -> None:
        super().__init__()
        self.error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.may(self.role)


class Editor(_Needs):
    """Objectives, key results, check-ins, action steps and initiatives."""

    role = Role.EDITOR
    message = "this needs the editor or admin role"


class Admin(_Needs):
    """The organization, its departments, cycles and policy."""

    role = Role.ADMIN
    message = "this needs the admin role"
