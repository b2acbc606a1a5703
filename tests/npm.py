"""Clients nobody here wrote, installed for a test with npm from a pinned lockfile."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest


def installed(
    source: Path, files: Iterable[str], into: Path, pinned: Mapping[str, str], *, needs: str
) -> Path:
    """Copy `files` from `source` into `into`, install there with `npm ci` from the lockfile
    (no install scripts), and check each `pinned` package's version; return `into`. Anything
    missing fails the test (`needs` says which): conformance is never skipped."""
    for name in files:
        shutil.copy(source / name, into / name)
    _npm_ci(into, pinned, needs=needs)
    return _checked(into, pinned)


def installed_here(folder: Path, pinned: Mapping[str, str], *, needs: str) -> Path:
    """Install `folder`'s lockfile into `folder/node_modules` with `npm ci` (no install
    scripts), unless the last install there was of this very lockfile; check each `pinned`
    package's version and return `folder`. Anything missing fails the test (`needs` says
    which): the clients are never skipped."""
    lock = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / ".okrgraph-lockfile-sha256"
    if not stamp.exists() or stamp.read_text() != lock:
        _npm_ci(folder, pinned, needs=needs)
        stamp.write_text(lock)
    return _checked(folder, pinned)


def _npm_ci(folder: Path, pinned: Mapping[str, str], *, needs: str) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail(f"{needs} needs Node.js and npm on PATH")
    packages = ", ".join(f"{name} {version}" for name, version in pinned.items())
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`npm ci` of {packages} did not finish in 5 minutes: is the registry slow?")
    if done.returncode != 0:
        pytest.fail(
            f"`npm ci` could not install {packages} (is the npm registry reachable from "
            f"here?):\n{done.stderr[-3000:]}"
        )


def _checked(folder: Path, pinned: Mapping[str, str]) -> Path:
    for package, version in pinned.items():
        found = json.loads((folder / "node_modules" / package / "package.json").read_text())
        assert found["version"] == version, package
    return folder
