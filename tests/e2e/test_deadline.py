"""End to end: no request stalls a real `okrgraph serve`.

The series that used to loop forever at 100% CPU (a MONTH step past December 9999) answers at
once; requests that run past OKRGRAPH_REQUEST_TIMEOUT are stopped with a TIMEOUT error while
/healthz keeps answering, the next request runs as usual, and the server still stops cleanly
on SIGTERM (`serving` checks its exit).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from service.auth import Role, mint
from tests.e2e.servers import serving

SECRET = "an-end-to-end-signing-key-long-enough-for-hs256"
HEADERS = {
    "authorization": f"Bearer {mint(secret=SECRET, organization='acme-inbound', role=Role.ADMIN)}"
}
DEADLINE = 0.5

ISSUE = """query($v: ID!) { node(id: $v) { ... on Organization { progressSeries(year: 2026,
  from: "9999-12-01T00:00:00Z", to: "9999-12-02T00:00:00Z", interval: MONTH) { at } } } }"""
# Thirty series of 400 points: 12,000 evaluations, far more than the deadline allows.
LONG = (
    "query($v: ID!) { node(id: $v) { ... on Organization { "
    + " ".join(
        f's{i}: progressSeries(year: 2026, from: "2026-01-01T00:00:{i:02d}Z", '
        f'to: "2027-02-04T00:00:00Z", interval: DAY) {{ value }}'
        for i in range(30)
    )
    + " } } }"
)


def ask(http: httpx.Client, query: str, org: str) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    response = http.post(
        "/graphql", json={"query": query, "variables": {"v": org}}, headers=HEADERS
    )
    assert response.status_code == 200, response.text[:500]
    return response.json(), time.monotonic() - began


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


@pytest.mark.slow
def test_long_requests_are_stopped_at_the_deadline_and_health_keeps_answering() -> None:
    env = {"OKRGRAPH_JWT_SECRET": SECRET, "OKRGRAPH_REQUEST_TIMEOUT": str(DEADLINE)}
    with (
        serving("--demo", "--memory", env=env) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        found = http.post(
            "/graphql",
            json={"query": '{ organizationBySlug(slug: "acme-inbound") { id } }'},
            headers=HEADERS,
        ).json()
        org = found["data"]["organizationBySlug"]["id"]

        answer, took = ask(http, ISSUE, org)
        assert took < 5
        assert codes(answer) == [], answer
        assert [p["at"] for p in answer["data"]["node"]["progressSeries"]] == [
            "9999-12-01T00:00:00+00:00"
        ]

        long_answers: list[tuple[dict[str, Any], float]] = []

        def long_request() -> None:
            with httpx.Client(base_url=base, timeout=60) as own:
                long_answers.append(ask(own, LONG, org))

        workers = [threading.Thread(target=long_request) for _ in range(3)]
        for worker in workers:
            worker.start()
        health: list[float] = []
        while any(worker.is_alive() for worker in workers):
            began = time.monotonic()
            assert http.get("/healthz").status_code == 200
            health.append(time.monotonic() - began)
            time.sleep(0.02)
        for worker in workers:
            worker.join()

        assert len(long_answers) == 3
        for body, took in long_answers:
            assert body["data"] is None
            assert codes(body) == ["TIMEOUT"], body
            assert took < DEADLINE * 3 + 5  # stopped near the deadline, not run to the end
        assert health, "the long requests ended before /healthz was asked"
        assert max(health) < 2, health

        again, _ = ask(http, ISSUE, org)
        assert again == answer


CROWD = 16
STOP_WITHIN = DEADLINE + 1 + 5  # the deadline, the drain's second, and room for a busy machine


@pytest.mark.slow
def test_a_server_full_of_timed_out_requests_answers_health_and_stops_promptly() -> None:
    """Sixteen clients keep sending requests that all outlast the deadline; /healthz answers
    throughout, and SIGTERM sent while they are in flight stops the server within a few
    seconds (`serving` fails the test otherwise): timed-out work stops with its request."""
    env = {"OKRGRAPH_JWT_SECRET": SECRET, "OKRGRAPH_REQUEST_TIMEOUT": str(DEADLINE)}
    answers: list[list[str]] = []
    health: list[float] = []
    stopping = threading.Event()
    with (
        serving("--demo", "--memory", env=env, stop_within=STOP_WITHIN) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        found = http.post(
            "/graphql",
            json={"query": '{ organizationBySlug(slug: "acme-inbound") { id } }'},
            headers=HEADERS,
        ).json()
        org = found["data"]["organizationBySlug"]["id"]

        def client() -> None:
            with httpx.Client(base_url=base, timeout=60) as own:
                while not stopping.is_set():
                    try:
                        response = own.post(
                            "/graphql",
                            json={"query": LONG, "variables": {"v": org}},
                            headers=HEADERS,
                        )
                    except httpx.HTTPError:
                        return  # the server went away under it
                    if response.status_code == 200:
                        answers.append(codes(response.json()))

        crowd = [threading.Thread(target=client, daemon=True) for _ in range(CROWD)]
        for worker in crowd:
            worker.start()
        until = time.monotonic() + DEADLINE * 6
        while time.monotonic() < until:
            began = time.monotonic()
            assert http.get("/healthz").status_code == 200
            health.append(time.monotonic() - began)
            time.sleep(0.05)
        # Leaving `serving` sends SIGTERM with requests of the crowd still running.
    stopping.set()
    assert answers, "no request was answered before the stop"
    assert all(found == ["TIMEOUT"] for found in answers), answers
    assert max(health) < 2, health
