"""requirements/*.txt, the lock files `make lock` writes: every requirement of pyproject.toml is
pinned there by a version it allows, every pin carries hashes, nothing names this machine's
package sources, and both the Makefile and the Dockerfile install from them with hashes checked.
A dependency added to pyproject.toml without `make lock` fails here, not in the image build."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: tuple[str, ...]


def read_lock(text: str) -> dict[str, Pin]:
    """A lock file's pins by canonical name: `name==version [; marker] \\` then `--hash=` lines."""
    pins: dict[str, Pin] = {}
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)\s*(?:;[^-]*)?((?:\s*--hash=\S+)*)", line)
        assert match, f"not a pin with hashes: {line!r}"
        name, version, hashes = match.groups()
        assert canonicalize_name(name) not in pins, f"{name} is pinned twice"
        pins[canonicalize_name(name)] = Pin(Version(version), tuple(hashes.split()))
    return pins


def unmet(requirements: Iterable[str], pins: dict[str, Pin]) -> list[str]:
    """The requirements that apply here and that no pin satisfies."""
    missing = []
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            missing.append(text)
    return missing


@pytest.fixture(scope="module")
def locks() -> dict[str, dict[str, Pin]]:
    return {
        name: read_lock((LOCKS / f"{name}.txt").read_text(encoding="utf-8"))
        for name in ("build", "main", "dev")
    }


def test_every_requirement_is_pinned_by_a_version_it_allows(
    locks: dict[str, dict[str, Pin]],
) -> None:
    project = PYPROJECT["project"]
    hint = "run `make lock`"
    assert unmet(PYPROJECT["build-system"]["requires"], locks["build"]) == [], hint
    assert unmet(["pip"], locks["build"]) == [], hint
    assert unmet(project["dependencies"], locks["main"]) == [], hint
    assert unmet(project["dependencies"], locks["dev"]) == [], hint
    assert unmet(project["optional-dependencies"]["dev"], locks["dev"]) == [], hint


def test_a_requirement_the_lock_lacks_or_outgrew_is_reported(
    locks: dict[str, dict[str, Pin]],
) -> None:
    graphql_core = locks["main"]["graphql-core"].version
    assert unmet(["surely-not-a-dependency>=1"], locks["main"]) == ["surely-not-a-dependency>=1"]
    assert unmet([f"graphql-core>{graphql_core}"], locks["main"]) == [
        f"graphql-core>{graphql_core}"
    ]
    assert unmet([f"graphql-core=={graphql_core}"], locks["main"]) == []
    assert unmet(['pywin32>=300; sys_platform == "win32"'], locks["main"]) == []


def test_the_development_lock_agrees_with_the_main_lock(locks: dict[str, dict[str, Pin]]) -> None:
    for name, pin in locks["main"].items():
        assert locks["dev"][name].version == pin.version, name


def test_every_pin_carries_hashes(locks: dict[str, dict[str, Pin]]) -> None:
    for lock, pins in locks.items():
        for name, pin in pins.items():
            assert pin.hashes, f"{lock}: {name}"
            assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in pin.hashes), name


def test_a_lock_without_hashes_or_with_a_loose_version_is_refused() -> None:
    with pytest.raises(AssertionError, match="not a pin with hashes"):
        read_lock("starlette>=1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert read_lock("starlette==1.0.1\n")["starlette"].hashes == ()


def test_no_lock_names_a_package_source() -> None:
    """pip and uv may be configured with extra indexes, local folders or constraints on a
    machine; none of that belongs in a lock another machine installs from."""
    for path in sorted(LOCKS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        options = [
            line.strip()
            for line in text.splitlines()
            if line.strip().startswith("-") and not line.strip().startswith("--hash=")
        ]
        assert options == [], path.name
        assert "file:" not in text, path.name


def test_make_and_the_image_install_only_from_the_locks_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for text, locks in ((makefile, ("build", "dev")), (dockerfile, ("build", "main"))):
        installs = re.findall(r"pip install [^\n]*", text)
        for lock in locks:
            assert any(
                f"--require-hashes -r requirements/{lock}.txt" in i
                or f"--require-hashes --no-deps -r requirements/{lock}.txt" in i
                for i in installs
            ), lock
        for install in installs:
            assert "--require-hashes" in install or "--no-deps" in install, install
        assert "--no-build-isolation" in text, "a build from setuptools other than the locked one"
