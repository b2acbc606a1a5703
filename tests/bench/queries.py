"""The operations the benchmarks send, as a client would.

The dashboard asks for `__typename` on `node` (an interface) and uses no aliases: the floor
(tests/bench/references.py) answers it with graphql-core's default resolvers over the captured
data, which find an object's type by `__typename` and a field by its name.
"""

from __future__ import annotations

DASHBOARD = """
query Dashboard($org: ID!, $quarter: ID!, $year: Int!) {
  organization(id: $org) {
    name
    progress(year: $year) { value status }
    departments { name progress(cycleId: $quarter) { value status expected } }
  }
  node(id: $quarter) {
    __typename
    ... on Cycle {
      label
      progress { value status }
      objectives(first: 100) {
        totalCount
        nodes {
          title
          department { name }
          progress { value status explanation { formula } }
          keyResults {
            title
            currentValue
            progress { value attainment status blockedBy { id } }
          }
        }
      }
    }
  }
}
"""

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
      objectives(first: 100) { nodes { keyResults { id } } }
    }
  }
}
"""
