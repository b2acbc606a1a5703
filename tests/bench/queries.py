"""The operations the benchmarks send, as a client would: the documents shipped in
schema/operations/ (what the front-end kit and the typed clients send), read from there, and a
few of the benchmarks' own."""

from __future__ import annotations

from pathlib import Path

OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"


def shipped(name: str) -> str:
    """The text of schema/operations/NAME.graphql."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


SHIPPED = sorted(p.stem for p in OPERATIONS.glob("*.graphql"))
DASHBOARD = shipped("Dashboard")
KEY_RESULT_DETAIL = shipped("KeyResultDetail")

# The whole year from the global objective down, three levels of children.
_LEVEL = "title progress { value status } keyResults { title progress { value status } }"
TREE = f"""
query Tree($org: ID!, $year: Int!) {{
  organization(id: $org) {{
    globalObjective(year: $year) {{
      {_LEVEL}
      children {{ {_LEVEL} children {{ {_LEVEL} children {{ {_LEVEL} }} }} }}
    }}
  }}
}}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on KeyResult { title currentValue progress { value status } }
  }
}
"""

CHECK_IN = """
mutation CheckIn($kr: ID!, $value: Float!) {
  checkInCreate(input: {keyResultId: $kr, value: $value}) {
    checkIn { id value }
    keyResult { currentValue progress { value status } }
    userErrors { code message }
  }
}
"""

# How a benchmark finds its way into a data set: by slug, as a client would.
FIND = """
query Find($slug: String!, $year: Int!) {
  organizationBySlug(slug: $slug) {
    id
    globalObjective(year: $year) { id }
    currentCycle(kind: QUARTER) {
      id
      objectives(first: 100) { nodes { id keyResults { id } } }
    }
  }
}
"""
