"""The corpus: every hostile case, by category.

Operator injection and cross-tenant ids are generated from the slots (every place a client's
value reaches the store); the other categories are listed in `transport`, `documents` and
`tokens`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schema.ids import parse_global_id, to_cursor, to_global_id
from tests.security.csv_inputs import csv_cases
from tests.security.documents import document_cases
from tests.security.edges import edge_cases
from tests.security.id_slots import ID_SLOTS
from tests.security.model import Case, Env, Make, Refused, SameAs, Stored, UserError, gql
from tests.security.settings import settings_cases
from tests.security.slots import EMAIL, SCALAR_SLOTS, TEXT_SLOTS, Slot, put
from tests.security.tokens import token_cases
from tests.security.transport import transport_cases

# Operator shapes, as JSON values: GraphQL's coercion must refuse each in every slot.
OPERATORS: list[tuple[str, Any]] = [
    ("$gt", {"$gt": ""}),
    ("$ne", {"$ne": None}),
    ("$regex", {"$regex": ".*"}),
]
# The same shapes as the contents of strings: plain text to the store.
TEXTS = ["[$where]", '{"$gt": ""}']
# What `$` becomes in a request's twin: `#` sorts below digits and letters, as `$` does, so a
# plain string comparison (a cursor) answers the twin exactly as it answers the original.
PLAIN = "#"


def plain(text: str) -> str:
    """The twin's text: the hostile one without its operator character."""
    return text.replace("$", PLAIN)


def _type_of(kind: str) -> str:
    return {
        "org": "Organization",
        "department": "Department",
        "year": "Cycle",
        "cycle": "Cycle",
        "later": "Cycle",
        "objective": "Objective",
        "child": "Objective",
        "key_result": "KeyResult",
        "upstream": "KeyResult",
        "check_in": "CheckIn",
        "action_step": "ActionStep",
        "initiative": "Initiative",
        "member": "Member",
    }[kind]


def _alpha_org(env: Env) -> str:
    found = parse_global_id(env.alpha.org)
    assert found is not None
    return found.org_id


def _in_slot(slot: Slot, value: Any) -> Make:
    """The slot's request with `value` in its place (`value` may depend on the world)."""
    return lambda env: gql(
        slot.document,
        put(slot.variables(env.alpha), slot.path, value(env) if callable(value) else value),
    )


def _forged_local(kind: str, text: str) -> Callable[[Env], str]:
    """A well-formed id of alpha whose local part is `text`."""
    return lambda env: to_global_id(_type_of(kind), _alpha_org(env), text)


def _forged_org(kind: str, text: str) -> Callable[[Env], str]:
    """A well-formed id whose organization part is `text`."""
    return lambda env: to_global_id(_type_of(kind), text, text)


# Text filters: where a string reaches the store as a value to compare.
FILTER_TEXTS: list[tuple[str, str, Callable[[str], str]]] = [
    ("organizationBySlug(slug)", "", str),
    ("Organization.objectives(after)", "", str),
    ("Organization.objectives(after)", "a cursor after ", to_cursor),
]


def injection_cases() -> list[Case]:
    found: list[Case] = []
    for slot in (*ID_SLOTS, *SCALAR_SLOTS, *TEXT_SLOTS):
        found.extend(
            Case(
                f"{slot.name} = {label} object",
                "operator injection: variables",
                _in_slot(slot, shape),
                Refused("BAD_USER_INPUT"),
            )
            for label, shape in OPERATORS
        )
    for slot in ID_SLOTS:
        # Ids as strings: one that is no id, and well-formed ids carrying operator text.
        variants = [
            ("raw", "[$where]", plain("[$where]")),
            ("organization part", _forged_org(slot.kind, "$ne"), _forged_org(slot.kind, "#ne")),
        ]
        if slot.kind != "org":  # an organization's id has no local part
            variants.append(
                (
                    "local part",
                    _forged_local(slot.kind, "$where"),
                    _forged_local(slot.kind, "#where"),
                )
            )
        for label, hostile, twin in variants:
            found.append(
                Case(
                    f"{slot.name} = {label} $-text",
                    "operator injection: id text",
                    _in_slot(slot, hostile),
                    SameAs(_in_slot(slot, twin), normalize=plain),
                )
            )
    scalars = {slot.name: slot for slot in SCALAR_SLOTS}
    for name, label, wrap in FILTER_TEXTS:
        found.extend(
            Case(
                f"{name} = {label}{text!r}",
                "operator injection: filter text",
                _in_slot(scalars[name], wrap(text)),
                SameAs(_in_slot(scalars[name], wrap(plain(text))), normalize=plain),
            )
            for text in TEXTS
        )
    found.extend(
        Case(
            f"{slot.name} = {text!r}",
            "operator injection: stored text",
            _in_slot(slot, text),
            Stored(text),
        )
        for slot in TEXT_SLOTS
        for text in TEXTS
    )
    # An email is checked before it is stored: operator text is no address, and an address
    # that carries it is kept as the plain text it is.
    found.extend(
        Case(
            f"{EMAIL.name} = {text!r}",
            "operator injection: stored text",
            _in_slot(EMAIL, text),
            UserError("INVALID_TEXT"),
        )
        for text in TEXTS
    )
    found.append(
        Case(
            f"{EMAIL.name} = an address with $-text",
            "operator injection: stored text",
            _in_slot(EMAIL, "[$where]@alpha.example"),
            Stored("[$where]@alpha.example"),
        )
    )
    return found


NODE_KINDS = [
    "org",
    "department",
    "year",
    "cycle",
    "objective",
    "child",
    "upstream",
    "check_in",
    "action_step",
    "initiative",
    "member",
]
NODE = "query($v: ID!) { node(id: $v) { id __typename } }"


def _id_of(side: str, kind: str) -> Callable[[Env], str]:
    """The id of `kind` among beta's (or never-existing) ids."""
    return lambda env: str(getattr(getattr(env, side), kind))


def _node(id_of: Callable[[Env], str]) -> Make:
    return lambda env: gql(NODE, {"v": id_of(env)})


def tenancy_cases() -> list[Case]:
    """alpha's admin with beta's ids: exactly what ids that never existed give."""
    found = [
        Case(
            f"{slot.name} with beta's {slot.kind}",
            "cross-tenant id",
            _in_slot(slot, _id_of("beta", slot.kind)),
            SameAs(_in_slot(slot, _id_of("never", slot.kind))),
        )
        for slot in ID_SLOTS
    ]
    found.extend(
        Case(
            f"node(id) with beta's {kind}",
            "cross-tenant id",
            _node(_id_of("beta", kind)),
            SameAs(_node(_id_of("never", kind))),
        )
        for kind in NODE_KINDS
    )
    return found


CASES = [
    *transport_cases(),
    *document_cases(),
    *token_cases(),
    *injection_cases(),
    *tenancy_cases(),
    *settings_cases(),
    *edge_cases(),
    *csv_cases(),
]
