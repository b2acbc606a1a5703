"""Readers for the deployment files, which no test can run here (no Docker): the Dockerfile's
stages, nginx's directives, the YAML manifests, and the environment names `Settings` reads."""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from pydantic import AliasChoices, AliasPath

from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


# -- Settings ----------------------------------------------------------------------------------


def settings_env_names() -> frozenset[str]:
    """Every environment variable `Settings` reads: a field's validation aliases when it has
    them (pydantic-settings then ignores the prefix), else the prefix and the field's name."""
    prefix = Settings.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        for choice in choices:
            env = choice.path[0] if isinstance(choice, AliasPath) else choice
            names.add(f"{prefix}{name}" if env is None else str(env))
    if not Settings.model_config.get("case_sensitive", False):
        names = {n.upper() for n in names}
    return frozenset(names)


SETTINGS = settings_env_names()


def settings_from(environment: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process would build with exactly this environment's settings."""
    for name in os.environ:
        if name.upper() in SETTINGS:
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


# -- Dockerfile --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"no {keyword} in the stage FROM {self.base}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            words = shlex.split(args)
            if "=" not in words[0]:  # the legacy form: ENV NAME value
                values[words[0]] = " ".join(words[1:])
                continue
            values.update({k: v for k, _, v in (word.partition("=") for word in words)})
        return values

    def exec_form(self, keyword: str) -> list[str]:
        """An instruction's JSON (exec) form, such as ENTRYPOINT ["okrgraph", "serve"]."""
        return _exec_form(self.last(keyword), keyword)

    def healthcheck(self) -> list[str]:
        """HEALTHCHECK's command, without the options before CMD."""
        _, _, command = self.last("HEALTHCHECK").partition(" CMD ")
        return _exec_form(command, "HEALTHCHECK CMD")


def _exec_form(text: str, what: str) -> list[str]:
    words = json.loads(text)
    assert isinstance(words, list), f"{what} is not in exec form"
    return [str(w) for w in words]


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # comments may sit inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def parse_dockerfile(text: str) -> list[Stage]:
    """The stages in order, with global ARG defaults substituted into each FROM."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            for name, value in global_args.items():
                args = args.replace(f"${{{name}}}", value).replace(f"${name}", value)
            base, _, name = args.partition(" AS ")
            stages.append(Stage(base=base.strip(), name=name.strip() or None))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, args))
        elif keyword == "ARG":
            name, _, value = args.partition("=")
            global_args[name] = value
    return stages


# -- nginx -------------------------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def find(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]


_NGINX_TOKEN = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|\"(?P<double>(?:[^\"\\]|\\.)*)\""
    r"|'(?P<single>(?:[^'\\]|\\.)*)'"
    r"|(?P<punctuation>[{};])"
    r"|(?P<bare>[^\s{};\"'#][^\s{};]*)"
)


def parse_nginx(text: str) -> Directive:
    """The configuration as a tree under a root directive named 'main'."""
    stack = [Directive("main", [], [])]
    words: list[str] = []
    for match in _NGINX_TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "comment":
            continue
        if kind != "punctuation":
            words.append(token)
            continue
        if token == "}":
            assert not words, f"unterminated directive {words} before '}}'"
            stack.pop()
            continue
        directive = Directive(words[0], words[1:], [] if token == "{" else None)
        cast(list[Directive], stack[-1].block).append(directive)
        if token == "{":
            stack.append(directive)
        words = []
    assert len(stack) == 1, "unbalanced braces"
    assert not words, f"unterminated directive {words}"
    return stack[0]


def nginx_seconds(value: str) -> int:
    """nginx's time syntax (30, 30s, 5m, 1h, 1h30m) in seconds."""
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+)([smhd]?)", value)
    assert "".join(n + u for n, u in parts) == value, f"not an nginx time: {value}"
    return sum(int(n) * units[u] for n, u in parts)


# -- YAML --------------------------------------------------------------------------------------


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return cast(dict[str, Any], document)


def k8s_manifests(directory: Path = K8S) -> dict[str, dict[str, Any]]:
    """The objects `kubectl apply -f DIR` would apply (not recursive), by kind."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is None:
                continue
            assert isinstance(document, dict), f"{path} holds a document that is not a mapping"
            assert {"apiVersion", "kind", "metadata"} <= document.keys(), path
            assert document["kind"] not in found, f"two {document['kind']} objects"
            found[document["kind"]] = document
    return found


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's environment, written as a mapping or as a list of NAME=value."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return {k: v for k, _, v in (str(item).partition("=") for item in environment)}
    return {str(k): "" if v is None else str(v) for k, v in environment.items()}
