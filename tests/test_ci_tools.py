""".ci/tools, which `make test` and `.ci/run` call first: a tool that is there is used, one that
is not is installed with apt-get, and one that cannot be had gets one line naming it. Run on a
PATH of stand-ins, so that nothing here is installed for real."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("redis-server", "node", "npm", "chromium")


def executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH with only what the script uses besides bash's builtins, and a `sudo` that runs
    its command, so that an unprivileged run takes the same path as root."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in ("cut", "tr"):
        found = shutil.which(name)
        assert found is not None
        (directory / name).symlink_to(found)
    executable(
        directory / "sudo",
        '#!/bin/bash\n[ "$1" = -n ] && shift\n[ "$1" = true ] && exit 0\nexport "$1"; shift\n'
        'exec "$@"\n',
    )
    return directory


def run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    environment = {"PATH": str(bin_dir), "CHROMIUM": str(bin_dir / "chromium")}
    environment["TMPDIR"] = str(bin_dir.parent)
    return subprocess.run(
        [bash, str(ROOT / ".ci" / "tools"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def fake_apt_get(bin_dir: Path, *, installs: bool) -> Path:
    """An apt-get that logs its arguments and, when `installs`, makes each package's command."""
    log = bin_dir.parent / "apt-get.log"
    chmod = shutil.which("chmod")
    commands = {"redis-server": "redis-server", "nodejs": "node", "npm": "npm"}
    commands["chromium"] = "chromium"
    script = f'#!/bin/bash\necho "$*" >> {log}\n'
    if installs:
        for package, command in commands.items():
            made = bin_dir / command
            script += f'[[ " $* " == *" {package} "* ]] && echo > {made} && {chmod} +x {made}\n'
    script += "exit 0\n" if installs else '[ "$1" = update ] || exit 100\n'
    executable(bin_dir / "apt-get", script)
    return log


def test_with_every_tool_there_it_says_nothing_and_installs_nothing(bin_dir: Path) -> None:
    for name in TOOLS:
        executable(bin_dir / name, "#!/bin/bash\n")
    log = fake_apt_get(bin_dir, installs=True)
    done = run(bin_dir)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not log.exists()


def test_check_names_each_missing_tool_on_one_line_and_installs_nothing(bin_dir: Path) -> None:
    executable(bin_dir / "node", "#!/bin/bash\n")
    log = fake_apt_get(bin_dir, installs=True)
    done = run(bin_dir, "--check")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert [line.split()[3] for line in lines] == ["redis-server", "npm", "chromium"]
    assert "apt-get install redis-server" in lines[0]
    assert "set CHROMIUM=" in lines[2]
    assert not log.exists()


def test_missing_tools_are_installed_with_apt_get(bin_dir: Path) -> None:
    executable(bin_dir / "redis-server", "#!/bin/bash\n")
    log = fake_apt_get(bin_dir, installs=True)
    done = run(bin_dir)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        "update -qq",
        "install -y -qq nodejs npm chromium",
    ]
    assert all(os.access(bin_dir / name, os.X_OK) for name in TOOLS)


def test_a_failed_install_names_what_is_still_missing(bin_dir: Path) -> None:
    for name in ("redis-server", "node", "npm"):
        executable(bin_dir / name, "#!/bin/bash\n")
    fake_apt_get(bin_dir, installs=False)
    done = run(bin_dir)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("make test needs chromium for the browser")
    assert len(done.stderr.splitlines()) == 2, "one line saying what it tried, one per tool"


def test_make_test_and_ci_run_both_call_it() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ntest: tools " in makefile
    assert "\ntools:\n\t.ci/tools\n" in makefile
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n.ci/tools\n" in ci_run
