"""Members end to end, as real processes over the embedded store: `okrgraph migrate-owners`
turns free-text owners of old data into members (and says so once), `okrgraph serve` migrates
what is left when it starts, a token's subject joins as a member, and a deactivated member's
token is refused with its code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.auth import Role, mint
from service.okrs.demo import DEMO_SLUG
from service.store.embedded import open_store
from tests.e2e.servers import serving

pytestmark = pytest.mark.slow

SECRET = "okr-signing-key-9f3a2b7c-e1d4-members"
OWNERS = """query($slug: String!) { organizationBySlug(slug: $slug) {
  members { totalCount nodes { id name email active } }
  cycles(year: 2027) { id kind }
  objectives(first: 100) { nodes { keyResults { title owner { name email } } } }
} }"""


def okrgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def write_free_text_owners(data: Path, owners: dict[str, str]) -> None:
    """Make the demo's key results of these titles owned by free text, as data written before
    members holds them."""
    async with open_store(mongodb_uri=None, data_dir=data) as store:
        database: Any = store._db  # the raw documents, as an older release left them
        for title, text in owners.items():
            await database["keyResults"].update_many(
                {"title": title}, {"$set": {"owner": text, "ownerId": None}}
            )


def ask(base: str, token: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


async def test_old_owners_are_migrated_by_the_cli_and_at_start_and_tokens_become_members(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    seeded = okrgraph("seed", "--demo", "--data-dir", str(data), "--today", "2027-05-10")
    assert seeded.returncode == 0, seeded.stderr
    await write_free_text_owners(data, {"Publish 24 in-depth blog posts": "Paula (Content)"})

    migrated = okrgraph("migrate-owners", "--data-dir", str(data))
    assert migrated.returncode == 0, migrated.stderr
    assert "1 free-text owner(s) migrated to members" in migrated.stdout
    again = okrgraph("migrate-owners", "--data-dir", str(data))
    assert again.returncode == 0, again.stderr
    assert "nothing to migrate" in again.stdout

    # Left by an older release after that: `serve` migrates it once the store answers.
    await write_free_text_owners(data, {"Launch the new pricing page": "sam@acme-inbound.example"})
    admin = mint(secret=SECRET, organization=DEMO_SLUG, role=Role.ADMIN, subject="olivia-admin")
    env = {"OKRGRAPH_JWT_SECRET": SECRET}
    with serving("--data-dir", str(data), env=env) as base:
        found = ask(base, admin, OWNERS, slug=DEMO_SLUG).json()["data"]["organizationBySlug"]
        owners = {
            k["title"]: k["owner"] for o in found["objectives"]["nodes"] for k in o["keyResults"]
        }
        assert owners["Publish 24 in-depth blog posts"]["name"] == "Paula (Content)"
        assert owners["Publish 24 in-depth blog posts"]["email"].endswith("@members.invalid")
        assert owners["Launch the new pricing page"] == {
            "name": "sam",
            "email": "sam@acme-inbound.example",
        }
        # The admin's token joined on its first request; Sam signs in by his email.
        names = {m["name"] for m in found["members"]["nodes"]}
        assert {"Olivia (CEO)", "Paula (Content)", "sam", "olivia-admin"} <= names
        sam = mint(
            secret=SECRET,
            organization=DEMO_SLUG,
            role=Role.EDITOR,
            subject="sam@acme-inbound.example",
        )
        me = ask(base, sam, "{ viewer { member { id name email } } }").json()["data"]["viewer"]
        assert me["member"]["email"] == "sam@acme-inbound.example"
        gone = ask(
            base,
            admin,
            """mutation($id: ID!) { memberDeactivate(id: $id) {
              member { active } userErrors { code } } }""",
            id=me["member"]["id"],
        ).json()["data"]["memberDeactivate"]
        assert gone == {"member": {"active": False}, "userErrors": []}
        refused = ask(base, sam, "{ viewer { subject } }")
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "MEMBER_INACTIVE"
        year = next(c["id"] for c in found["cycles"] if c["kind"] == "YEAR")
        findings = ask(
            base,
            admin,
            """query($slug: String!, $cycle: ID!) { organizationBySlug(slug: $slug) {
              health(cycleId: $cycle) { findings { code message } } } }""",
            slug=DEMO_SLUG,
            cycle=year,
        ).json()["data"]["organizationBySlug"]["health"]["findings"]
        assert {
            "code": "OWNER_INACTIVE",
            "message": "'Launch the new pricing page' is owned by sam, who is deactivated: "
            "give it a new owner",
        } in findings
