"""infra/Dockerfile installs the same locked environment as the Makefile (no Docker engine here)."""

from __future__ import annotations

import re
import shlex
import tomllib

from mdp import PROJECT_ROOT

DOCKERFILE = (PROJECT_ROOT / "infra" / "Dockerfile").read_text()
MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def uv_syncs(commands: list[str]) -> list[list[str]]:
    """Argument lists of every `uv sync` / `$(UV) sync` in shell command lines."""
    syncs = []
    for command in commands:
        for part in re.split(r"&&|;", command):
            if " sync" not in part:
                continue
            words = shlex.split(part)
            for i, word in enumerate(words[:-1]):
                if word.endswith(("uv", "$(UV)")) and words[i + 1] == "sync":
                    syncs.append(words[i + 2 :])
    return syncs


def test_same_uv_version_as_the_makefile() -> None:
    make_version = re.search(r"^UV_VERSION := (\S+)$", MAKEFILE, re.M)
    docker_version = re.search(r"^ARG UV_VERSION=(\S+)$", DOCKERFILE, re.M)
    assert make_version and docker_version
    assert docker_version.group(1) == make_version.group(1)
    assert any("uv==${UV_VERSION}" in args for kind, args in instructions() if kind == "RUN")


def test_same_frozen_sync_of_the_same_lock_minus_dev() -> None:
    make_recipes = [line.strip() for line in MAKEFILE.splitlines() if line.startswith("\t")]
    (make_sync,) = uv_syncs(make_recipes)
    docker_syncs = uv_syncs([args for kind, args in instructions() if kind == "RUN"])
    assert docker_syncs, "the Dockerfile must install with uv sync"
    assert "--frozen" in make_sync
    for sync in docker_syncs:
        assert "--frozen" in sync and "--no-dev" in sync
        assert not {"--upgrade", "-U", "--no-frozen", "--locked"} & set(sync)
        # everything else the Makefile passes is passed too (the interpreter may be spelled apart)
        assert {flag for flag in make_sync if flag.startswith("--")} <= set(sync)
    # the lock the Makefile's environment depends on is the one copied before the first sync
    assert re.search(r"^\$\(VENV\)/\.synced: pyproject\.toml uv\.lock", MAKEFILE, re.M)
    steps = instructions()
    first_sync = next(i for i, (kind, arg) in enumerate(steps) if kind == "RUN" and " sync " in arg)
    copied = " ".join(args for kind, args in steps[:first_sync] if kind == "COPY")
    assert "uv.lock" in copied.split() and "pyproject.toml" in copied.split()


def test_python_base_matches_the_project_and_the_user_is_not_root() -> None:
    steps = instructions()
    (base,) = [args for kind, args in steps if kind == "FROM"]
    requires = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert base == "python:3.11-slim" and requires["requires-python"].startswith(">=3.11")
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in {"root", "0"}


def test_every_package_and_the_dags_are_in_the_image() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = {args.split()[0].rstrip("/") for kind, args in instructions() if kind == "COPY"}
    assert set(packages) | {"dags", "dbt_project", "expectations"} <= copied
    assert "sandbox" not in copied  # production never ships the simulated world
