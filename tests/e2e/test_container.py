"""The image builds and its container serves: ``docker build``, ``docker run``, then the
HEALTHCHECK reports healthy and ``/healthz`` answers from outside. Where no Docker daemon
is usable (or the base image cannot be pulled) the test skips and says which."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import parse_settings
from tests.factories import ROOT

IMAGE = "tierdesk-test:" + uuid.uuid4().hex[:8]
BUILD_TIMEOUT = 600
HEALTHY_WITHIN = 90.0


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_container_config_is_valid_and_serves_http() -> None:
    import tomllib

    from adapters.platforms import PLATFORMS

    raw = tomllib.loads((ROOT / "deploy" / "config.toml").read_text(encoding="utf-8"))
    settings = parse_settings(
        raw, {"TIERDESK_KB": str(ROOT / "kb")}, platforms=PLATFORMS, base_dir=ROOT
    )
    assert (settings.http.host, settings.http.enabled) == ("0.0.0.0", True)
    assert settings.storage_url == "sqlite+aiosqlite:////data/tierdesk.db"
    assert settings.enabled_platforms == ()  # chat platforms join when their tokens are set


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    if shutil.which("docker") is None:
        pytest.skip("no docker command on this machine")
    info = docker("info", "--format", "{{.ServerVersion}}")
    if info.returncode != 0:
        pytest.skip(f"Docker daemon not usable: {info.stderr.strip().splitlines()[-1]}")
    built = docker("build", "-t", IMAGE, str(ROOT), timeout=BUILD_TIMEOUT)
    if built.returncode != 0:
        tail = built.stderr.strip().splitlines()[-3:]
        if any("pull" in line or "resolve" in line or "registry" in line for line in tail):
            pytest.skip(f"cannot pull the base image here: {' '.join(tail)}")
        raise AssertionError(built.stderr)
    yield IMAGE
    docker("rmi", "-f", IMAGE)


def test_the_container_runs_as_a_user_and_reports_healthy(image: str, tmp_path: Path) -> None:
    name = f"tierdesk-test-{uuid.uuid4().hex[:8]}"
    started = docker(
        "run", "-d", "--name", name, "-p", "127.0.0.1::8080",
        "--health-interval", "2s", "--health-start-period", "5s", image,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        user = docker("exec", name, "id", "-u").stdout.strip()
        assert user not in ("", "0")
        deadline = time.monotonic() + HEALTHY_WITHIN
        state = {}
        while time.monotonic() < deadline:
            state = json.loads(docker("inspect", "--format", "{{json .State}}", name).stdout)
            if state.get("Health", {}).get("Status") == "healthy":
                break
            time.sleep(1)
        assert state.get("Health", {}).get("Status") == "healthy", state
        port = docker("port", name, "8080/tcp").stdout.strip().rsplit(":", 1)[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert json.load(r)["checks"] == {"database": "ok", "scheduler": "ok"}
        stopped = docker("stop", "--time", "30", name, timeout=60)
        assert stopped.returncode == 0
        code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert code == "0"  # SIGTERM ended it cleanly
    finally:
        docker("rm", "-f", name)
