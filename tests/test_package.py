"""The package installs like a Python package: a wheel in a fresh virtual environment serves Abri.

The wheel test builds the repository with `pip wheel --no-deps`, installs it with its real dependencies
(and the embedded database) from the package index into a new venv, as a deployer would, and starts
`abri serve` from another folder. It takes about a minute, so it runs in CI (.ci/run sets
ABRI_TEST_PACKAGE=1) and when asked: `ABRI_TEST_PACKAGE=1 .venv/bin/python -m pytest tests/test_package.py`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.config import PROJECT_ROOT
from server.embedded import free_port

ADMIN_PASSWORD = "wheel check passphrase"
wheel_check = pytest.mark.skipif(not (os.environ.get("ABRI_TEST_PACKAGE") or os.environ.get("CI")),
                                 reason="builds and installs a wheel (a minute); set ABRI_TEST_PACKAGE=1 or CI=1")


def test_the_wheel_lists_every_package_of_the_code():
    options = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    listed = {name for name in options["packages"] if not name.startswith("server._shipped.")}
    on_disk = {".".join(path.parent.relative_to(PROJECT_ROOT).parts) for path in (PROJECT_ROOT / "server").rglob("__init__.py")
               if "__pycache__" not in path.parts}
    assert listed == on_disk
    assert set(options["package-dir"].values()) == {"metadata", "translations", "admin_ui", "app_ui"}


def _source_copy(target: Path) -> Path:
    """Copy the checkout's files (committed or not, never git-ignored ones such as instance/ or build/).

    A build straight from the checkout would also pack whatever a stale build/ folder still holds.
    """
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT,
                             capture_output=True)
    if listing.returncode:  # not a git checkout (an unpacked archive): everything but the local folders
        shutil.copytree(PROJECT_ROOT, target, ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "instance", "*.egg-info", "__pycache__", ".pytest_cache"))
        return target
    for name in filter(None, listing.stdout.decode().split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(*command: str, **options) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **options)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


def _get(url: str, token: str | None = None, body: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _wait_for(process: subprocess.Popen, url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("abri serve stopped:\n" + process.communicate()[0])
        try:
            _get(url)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("abri serve did not answer:\n" + process.communicate()[0])


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel built from this checkout and its real dependencies: (venv, timings)."""
    root = tmp_path_factory.mktemp("package")
    timings = {}
    started = time.monotonic()
    source = _source_copy(root / "source")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(source))
    timings["build"] = time.monotonic() - started
    wheel = next((root / "dist").glob("abri-*.whl"))
    started = time.monotonic()
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    _run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[embedded]")
    timings["install"] = time.monotonic() - started
    return venv, wheel, timings


@wheel_check
def test_a_wheel_in_a_fresh_venv_serves_french_forms_and_the_admin_ui(installed, tmp_path):
    venv, wheel, timings = installed
    site = Path(_run(str(venv / "bin" / "python"), "-c", "import server, pathlib; print(pathlib.Path(server.__file__)"
                     ".parent)", cwd=tmp_path).stdout.strip())
    assert site.is_relative_to(venv), site  # the installed copy, not this checkout
    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ABRI_", "XDG_"))}
    env.update(HOME=str(home), ABRI_ADMIN_PASSWORD=ADMIN_PASSWORD)
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([str(venv / "bin" / "abri"), "serve", "--port", str(port), "--profile", "bj"],
                               cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(process, base + "/admin/login")
        timings["start"] = time.monotonic() - started
        token = json.loads(_get(base + "/api/v1/tokens", body={"user_name": "admin", "password": ADMIN_PASSWORD})[1])
        forms = json.loads(_get(base + "/api/v1/forms?record_type=case&locale=fr", token["data"]["token"])[1])
        names = {form["unique_id"]: form["name"] for form in forms["data"]}
        assert names["identity_documents_bj"] == "Pièces d'identité (Bénin)"
        assert forms["meta"]["version"] == 1
        status, login = _get(base + "/admin/login")  # no Accept-Language: the deployment's French
        assert status == 200 and "<title>Se connecter · Abri</title>" in login and 'lang="fr"' in login
        assert "Mot de passe" in login
        assert "async function api(" in _get(base + "/admin/static/lib/api.js")[1]  # the admin UI's ES modules
        status, shell = _get(base + "/app/")  # the case worker app: its shell in French, and every file it lists
        assert status == 200 and "Se connecter" in shell and 'lang="fr"' in shell
        listed = re.findall(r'"(/app/static/[^"]+)"', _get(base + "/app/sw.js")[1])
        assert "/app/static/render/render.css" in listed and "/app/static/render/expressions.js" in listed
        for address in listed:  # icons too: bytes, not text
            with urllib.request.urlopen(base + address, timeout=10) as answer:
                assert answer.status == 200 and answer.read(), address
        with pytest.raises(urllib.error.HTTPError) as missing:  # server messages in French from the catalogs
            _get(base + "/api/v1/cases/00000000-0000-4000-8000-000000000000", token["data"]["token"])
        assert "introuvable" in json.loads(missing.value.read())["error"]["message"]
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "Deployment: country profile bj (Bénin)" in output and "Abri stopped." in output
    assert f"data in {home / '.local' / 'share' / 'abri' / 'db'}" in output
    assert list(elsewhere.iterdir()) == []  # nothing written in the working directory
    assert not (site / "_shipped" / "instance").exists() and not list(site.parent.glob("instance"))
    refused = subprocess.run([str(venv / "bin" / "abri"), "translations", "compile"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "developer commands" in refused.stderr
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB; build {timings['build']:.1f} s, "
          f"venv and install {timings['install']:.1f} s, first start {timings['start']:.1f} s")
