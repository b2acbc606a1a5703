"""One load generator for every server: N workers in this process, each sending the same POST
(with the same headers: a bearer token for okrgraph, sent to the references alike) over its own
keep-alive connection (httpx) as soon as the previous answer arrives."""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass, field

import httpx

from tests.bench.report import percentile

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass
class Sample:
    """Latencies (seconds) of the requests answered well, and for how long they were sent;
    the answers that were errors, counted apart (with the first), never as throughput."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, share: float) -> float:
        """A percentile in milliseconds; NaN when nothing was answered well."""
        return 1000 * percentile(self.latencies, share) if self.latencies else math.nan


class Load:
    """`concurrency` workers against one URL, over one client kept between runs."""

    def __init__(
        self, url: str, body: bytes, concurrency: int, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self.body = body
        self.headers = {**HEADERS, **(headers or {})}
        self.concurrency = concurrency
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = httpx.AsyncClient(limits=limits, timeout=60.0)

    async def run(
        self, seconds: float, into: Sample | None = None, *, count_errors: bool = False
    ) -> Sample:
        """Send for `seconds` (requests in flight then are answered and counted). An error
        answer fails the run, or with `count_errors` is counted in the sample: a server that
        fails under load is reported, with what it answered, beside what it served."""
        sample = into or Sample()
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                response = await self.client.post(self.url, content=self.body, headers=self.headers)
                answered = time.perf_counter()
                if response.status_code != 200 or b'"errors"' in response.content:
                    failure = f"{self.url}: {response.status_code} {response.text[:500]}"
                    if not count_errors:
                        raise AssertionError(failure)
                    sample.errors += 1
                    sample.first_error = sample.first_error or failure
                    continue
                sample.latencies.append(answered - sent)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        sample.seconds += time.perf_counter() - started
        return sample

    async def aclose(self) -> None:
        await self.client.aclose()


ROUND_TRIPS = re.compile(r"^okrgraph_store_round_trips_total(?:\{[^}]*\})? (\S+)$", re.MULTILINE)


async def store_calls(client: httpx.AsyncClient, metrics: str) -> int:
    """Every store call a running server has made so far, by its `/metrics` (`metrics` is its
    URL: tests/e2e/servers.py `metrics_of`; the listener may open a moment after the API's)."""
    for _ in range(100):
        try:
            text = (await client.get(metrics)).text
            break
        except httpx.ConnectError:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"nothing listens at {metrics}")
    return round(sum(float(v) for v in ROUND_TRIPS.findall(text)))


QUIET = b'{"query": "{ __typename }"}'


async def quiet(url: str, headers: dict[str, str], *, within: float = 0.5) -> float:
    """Wait until the server at `url` answers a trivial query within `within` seconds again
    (work it still does for requests already answered, timed out ones included, is over); the
    seconds that took."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120.0, headers={**HEADERS, **headers}) as client:
        while True:
            sent = time.perf_counter()
            await client.post(url, content=QUIET)
            if time.perf_counter() - sent < within:
                return time.perf_counter() - started


async def timed_post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> float:
    """One POST answered without errors; its latency in seconds."""
    sent = time.perf_counter()
    response = await client.post(url, content=body, headers={**HEADERS, **headers})
    answered = time.perf_counter()
    if response.status_code != 200 or b'"errors"' in response.content:
        raise AssertionError(f"{url}: {response.status_code} {response.text[:500]}")
    return answered - sent
