"""Markdown tables, the machine they were measured on, and `tests/bench/RESULTS.md`.

Every benchmark adds one section (a heading, a table and a few lines saying what it means) and
its targets; the session writes them all at its end, with the machine, the date and a summary
of the targets. A section a run did not measure (a run of one benchmark) is carried over from
the file, marked with the run it came from.
"""

from __future__ import annotations

import math
import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
SUMMARY = "Targets"
_SECTION = re.compile(r"^## ", re.MULTILINE)
_RUN = re.compile(r"^Measured (.+?)\.$", re.MULTILINE)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in (0, 1]) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    right = [
        any(row[i] for row in cells) and all(_numeric(row[i]) for row in cells if row[i])
        for i in range(len(header))
    ]
    rule = ["---:" if r else "---" for r in right]
    lines = [header, rule, *cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+\s*(x|%|ms|s|/s)?", text))


def machine() -> str:
    """CPU count and model, Python, and the load when asked (the machine is shared)."""
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.system()} {platform.release()}; "
        f"load average {load} at the start"
    )


@dataclass
class Section:
    title: str
    body: str


@dataclass
class Results:
    """The sections measured in this session, in the order they were added, and the targets."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    machine: str = field(default_factory=machine)
    sections: list[Section] = field(default_factory=list)
    targets: list[list[str]] = field(default_factory=list)

    def add(self, title: str, body: str) -> None:
        """Keep a section and print it (`make bench` runs pytest with -s)."""
        self.sections.append(Section(title, body.strip()))
        print(f"\n## {title}\n\n{body.strip()}\n", flush=True)

    def target(self, what: str, measured: str, goal: str, met: bool | None) -> None:
        """Keep one line of the summary: what was measured against which target (None: a
        number reported without a target)."""
        verdict = "" if met is None else "yes" if met else "**no**"
        self.targets.append([what, measured, goal, verdict])

    def summary(self) -> str:
        return table(["measured", "value", "target", "met"], self.targets)

    def write(self, path: Path = RESULTS) -> None:
        """Write every section of this run, then those of earlier runs it did not measure."""
        stamp = f"{self.started:%Y-%m-%d %H:%M} UTC on {self.machine}"
        parts = [
            "# Benchmark results\n",
            "Written by `make bench` (tests/bench/); every ratio is measured side by side in "
            "one run, because the machine is shared and its speed varies from minute to minute.\n",
            f"Measured {stamp}.\n",
        ]
        measured = {t[0] for t in self.targets}
        carried = [row for row in self._earlier_targets(path) if row[0] not in measured]
        if self.targets or carried:
            rows = self.targets + carried
            parts.append(f"## {SUMMARY}\n\n{table(['measured', 'value', 'target', 'met'], rows)}\n")
        parts += [f"## {s.title}\n\n{s.body}\n" for s in self.sections]
        parts += [f"## {title}\n\n{body}\n" for title, body in self._earlier(path)]
        path.write_text("\n".join(parts), encoding="utf-8")

    def _earlier_targets(self, path: Path) -> list[list[str]]:
        """The summary lines of the earlier run (a run of one benchmark keeps the others'),
        each value marked as carried over."""
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8")
        for chunk in _SECTION.split(text)[1:]:
            title, _, body = chunk.partition("\n")
            if title.strip() != SUMMARY:
                continue
            rows = [line.strip().strip("|").split("|") for line in body.splitlines()]
            cells = [[c.strip() for c in row] for row in rows if len(row) == 4]
            found = [row for row in cells[2:] if row[0]]  # past the header and its rule
            return [
                [what, value if "earlier run" in value else f"{value} (earlier run)", goal, met]
                for what, value, goal, met in found
            ]
        return []

    def _earlier(self, path: Path) -> list[tuple[str, str]]:
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8")
        run = _RUN.search(text)
        measured = {s.title for s in self.sections}
        kept: list[tuple[str, str]] = []
        for chunk in _SECTION.split(text)[1:]:
            title, _, body = chunk.partition("\n")
            if title.strip() in measured or title.strip() == SUMMARY:
                continue
            body = body.strip()
            if run and not body.startswith("_Carried over"):
                body = f"_Carried over from the run measured {run.group(1)}._\n\n{body}"
            kept.append((title.strip(), body))
        return kept
