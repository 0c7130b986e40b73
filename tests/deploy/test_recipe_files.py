"""Every file of the production recipe (deploy/) parses and says what the recipe promises: the systemd units run
`abri serve|worker|backup` hardened, the env example holds placeholders only and settings Abri knows, MongoDB is a
replica set with authentication, the compose file runs the Dockerfile's image with the env file, and nginx accepts
the site file. The recipe's nginx file is run for real in test_nginx_proxy.py."""
from __future__ import annotations

import base64
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pymongo.uri_parser import parse_uri

from server.config import PROJECT_ROOT, load_config
from server.services.settings import check_settings
from tests.deploy.nginx_recipe import main_config, nginx_command, render_site, render_upstream

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ABRI = "/opt/abri/bin/abri"
SECRETS = ("ABRI_MONGO_URI", "ABRI_EXPORT_PASSWORD_KEY", "ABRI_ADMIN_PASSWORD", "ABRI_BACKUP_PASSWORD",
           "ABRI_METRICS_TOKEN", "ABRI_SMTP_PASSWORD")
BACKUP = "backup --dir /var/backups/abri --keep-daily 7 --keep-weekly 5"
HARDENING = {"User": "abri", "Group": "abri", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
             "ProtectHome": "yes", "EnvironmentFile": "/etc/abri/abri.env"}


# --- systemd --------------------------------------------------------------------------------------------------------

def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text("utf-8"), source=name)
    return parser


def test_the_app_unit_serves_one_port_per_instance_on_loopback_without_export_threads():
    service = unit("abri@.service")["Service"]
    assert shlex.split(service["ExecStart"]) == [ABRI, "serve", "--host", "127.0.0.1", "--port", "%i",
                                                 "--threads", "48"]
    assert service["Environment"] == "ABRI_EXPORT_WORKER_THREADS=0"
    assert "http://127.0.0.1:%i/healthz" in service["ExecStartPost"]  # started means serving
    assert unit("abri@.service")["Install"]["WantedBy"] == "multi-user.target"


def test_the_worker_and_backup_units_run_abri_worker_and_abri_backup_on_a_nightly_timer():
    assert shlex.split(unit("abri-worker.service")["Service"]["ExecStart"]) == [ABRI, "worker", "--threads", "2"]
    backup = unit("abri-backup.service")["Service"]
    assert backup["Type"] == "oneshot" and backup["ExecStart"] == f"{ABRI} {BACKUP}"
    assert backup["ReadWritePaths"] == "/var/backups/abri"
    timer = unit("abri-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:30:00" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("name", ["abri@.service", "abri-worker.service", "abri-backup.service"])
def test_every_unit_runs_abri_as_its_own_user_hardened_with_secrets_from_the_env_file(name):
    service = unit(name)["Service"]
    assert re.fullmatch(rf"{re.escape(ABRI)} (serve|worker|backup)( .*)?", service["ExecStart"])
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    assert service["ReadWritePaths"] and service["CapabilityBoundingSet"] == ""
    assert "Description" in unit(name)["Unit"]


def test_systemd_accepts_the_units():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The units as installed on this machine: its abri instead of /opt/abri's (verify checks that commands exist).
    abri = shutil.which("abri", path=str(Path(sys.executable).parent)) or shutil.which("abri")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"abri-units-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    try:
        for source, target in (("abri@.service", "abri@5001.service"), ("abri-worker.service", None),
                               ("abri-backup.service", None), ("abri-backup.timer", None)):
            text = (UNITS / source).read_text("utf-8").replace(ABRI, abri)
            if not Path("/usr/bin/curl").exists():
                text = text.replace("/usr/bin/curl", shutil.which("true"))
            (folder / (target or source)).write_text(text, "utf-8")
        done = subprocess.run([analyze, "verify", "--man=no", *sorted(str(path) for path in folder.iterdir())],
                              capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(folder)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


# --- the env file ---------------------------------------------------------------------------------------------------

def env_lines(text: str, commented: bool = False) -> list[tuple[str, str]]:
    """(name, value) of each NAME=VALUE line (single quotes removed, as systemd, compose and sh read them)."""
    pattern = r"^#\s*(ABRI_[A-Z0-9_]+)=(.*)$" if commented else r"^(ABRI_[A-Z0-9_]+)=(.*)$"
    return [(name, value[1:-1] if value[:1] == value[-1:] == "'" else value)
            for name, value in re.findall(pattern, text, flags=re.M)]


EXAMPLE = (DEPLOY / "abri.env.example").read_text("utf-8")


def test_the_env_example_names_only_settings_abri_knows_and_every_secret_the_recipe_needs():
    names = [name for name, _ in env_lines(EXAMPLE)]
    known = {f"ABRI_{name}" for name in load_config(environ={})}
    assert len(names) == len(set(names))
    assert [name for name in names if name not in known] == []
    assert set(SECRETS) <= set(names)
    assert "ABRI_EXPORT_WORKER_THREADS" not in names  # it would win over abri@.service's 0
    assert dict(env_lines(EXAMPLE))["ABRI_TRUSTED_PROXIES"] == "1"  # nginx


def test_the_env_example_holds_placeholders_never_a_secret():
    values = dict(env_lines(EXAMPLE))
    for name, value in values.items():
        if re.search(r"PASSWORD|KEY|TOKEN|SECRET", name):
            assert re.fullmatch(r"CHANGE_ME_[A-Z0-9_]+", value), (name, value)
        else:
            assert not re.search(r"[A-Za-z0-9+/=_-]{32,}", value.split("@")[-1]), (name, value)  # nothing key-like
    for name, uri in env_lines(EXAMPLE) + env_lines(EXAMPLE, commented=True):
        if name == "ABRI_MONGO_URI":
            parsed = parse_uri(uri)
            assert re.fullmatch(r"CHANGE_ME_[A-Z0-9_]+", parsed["password"]) and parsed["username"] == "abri"
            assert len(parsed["nodelist"]) == 3
            assert {key: parsed["options"].get(key) for key in ("replicaSet", "w", "authSource")} == {
                "replicaSet": "rs0", "w": "majority", "authSource": "admin"}


def test_the_env_example_filled_in_passes_abris_settings_check():
    real = {"ABRI_EXPORT_PASSWORD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "ABRI_ADMIN_PASSWORD": base64.b32encode(os.urandom(20)).decode()}
    environ = {name: real.get(name, value.replace("CHANGE_ME_", "filled-in-")) for name, value in env_lines(EXAMPLE)}
    settings = load_config(environ=environ)
    check_settings(settings)  # raises SETTING_INVALID otherwise
    assert (settings["TRUSTED_PROXIES"], settings["SESSION_COOKIE_SECURE_MODE"]) == (1, "always")


# --- MongoDB --------------------------------------------------------------------------------------------------------

def test_mongod_runs_the_replica_set_the_uri_names_with_keyfile_and_password_authentication():
    config = yaml.safe_load((DEPLOY / "mongodb" / "mongod.conf").read_text("utf-8"))
    uri = parse_uri(dict(env_lines(EXAMPLE))["ABRI_MONGO_URI"])
    assert config["replication"]["replSetName"] == uri["options"]["replicaSet"] == "rs0"
    assert config["security"] == {"authorization": "enabled", "keyFile": "/etc/mongodb/keyfile"}
    assert "127.0.0.1" in config["net"]["bindIp"].split(",")  # init-replica-set.js runs through loopback
    assert "journal" not in config["storage"]  # always on since MongoDB 6.1, which refuses the option


FAKE_MONGOSH = r"""
// Runs init-replica-set.js against a pretend server whose state is kept in a JSON file between runs.
const fs = require("fs"), vm = require("vm");
const [script, statePath, envJson] = process.argv.slice(2);
const server = JSON.parse(fs.readFileSync(statePath, "utf8"));
const log = [];
let signedIn = false;
const fail = (codeName) => Object.assign(new Error(codeName), { codeName });
const locked = () => Object.keys(server.users).length > 0 && !signedIn;  // the localhost exception is closed
const admin = {
  auth(user, pwd) {
    if (!server.users[user] || server.users[user].pwd !== pwd) throw fail("AuthenticationFailed");
    signedIn = true;
  },
  runCommand(command) { return { isWritablePrimary: Boolean(server.config) }; },
  createUser(user) {
    if (locked()) throw fail("Unauthorized");
    if (!server.config) throw fail("NotWritablePrimary");
    if (server.users[user.user]) throw fail("DuplicateKey");
    server.users[user.user] = user; log.push(["createUser", user.user, user.roles]);
  },
  getUser(name) { if (locked()) throw fail("Unauthorized"); return server.users[name] || null; },
};
const rs = {
  status() {
    if (locked()) throw fail("Unauthorized");
    if (!server.config) throw fail("NotYetInitialized");
    const state = (member) => ({ name: member.host, stateStr: member._id ? "SECONDARY" : "PRIMARY" });
    return { members: server.config.members.map(state) };
  },
  initiate(config) {
    if (server.config) throw fail("AlreadyInitialized");
    server.config = config; log.push(["initiate", config]);
  },
};
vm.runInNewContext(fs.readFileSync(script, "utf8"), {
  require, process: { env: JSON.parse(envJson) }, db: { getSiblingDB: () => admin }, rs,
  sleep() {}, print(text) { log.push(["print", text]); },
});
fs.writeFileSync(statePath, JSON.stringify(server));
console.log(JSON.stringify(log));
"""


def test_the_replica_set_script_makes_the_set_and_its_users_once(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (tmp_path / "fake.js").write_text(FAKE_MONGOSH, "utf-8")
    (tmp_path / "state.json").write_text(json.dumps({"config": None, "users": {}}), "utf-8")
    (tmp_path / "admin-password").write_text("admin secret\n", "utf-8")
    env = {"ABRI_RS_MEMBERS": "db1:27017, db2:27017,db3:27017", "MONGO_ABRI_PASSWORD": "abri secret",
           "MONGO_ADMIN_PASSWORD_FILE": str(tmp_path / "admin-password")}

    def run() -> list:
        done = subprocess.run([node, str(tmp_path / "fake.js"), str(DEPLOY / "mongodb" / "init-replica-set.js"),
                               str(tmp_path / "state.json"), json.dumps(env)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [entry for entry in json.loads(done.stdout) if entry[0] != "print"]

    first = run()
    assert first == [
        ["initiate", {"_id": "rs0", "members": [{"_id": 0, "host": "db1:27017", "priority": 2},
                                                 {"_id": 1, "host": "db2:27017", "priority": 1},
                                                 {"_id": 2, "host": "db3:27017", "priority": 1}]}],
        ["createUser", "admin", ["root"]],
        ["createUser", "abri", [{"role": "readWrite", "db": "abri"}]]]
    state = json.loads((tmp_path / "state.json").read_text("utf-8"))
    assert (state["users"]["admin"]["pwd"], state["users"]["abri"]["pwd"]) == ("admin secret", "abri secret")
    assert run() == []  # run again: nothing changes


# --- containers -----------------------------------------------------------------------------------------------------

COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
SERVICES = COMPOSE["services"]


def test_the_compose_file_runs_three_mongod_an_init_job_two_apps_a_worker_nginx_and_a_backup():
    assert set(SERVICES) == {"mongo1", "mongo2", "mongo3", "mongo-init", "app1", "app2", "worker", "nginx", "backup"}
    for name in ("mongo1", "mongo2", "mongo3"):
        command = " ".join(SERVICES[name]["entrypoint"])
        assert "--replSet rs0" in command and "--keyFile" in command and "--auth" in command
        assert "mongo_keyfile" in SERVICES[name]["secrets"]
    init = SERVICES["mongo-init"]
    assert init["environment"]["ABRI_RS_MEMBERS"] == "mongo1:27017,mongo2:27017,mongo3:27017"
    assert "./mongodb/init-replica-set.js:/init-replica-set.js:ro" in init["volumes"]
    for name in ("app1", "app2"):
        assert SERVICES[name]["command"][:3] == ["serve", "--host", "0.0.0.0"]
        assert SERVICES[name]["environment"] == {"ABRI_EXPORT_WORKER_THREADS": "0"}
        assert "/healthz" in " ".join(SERVICES[name]["healthcheck"]["test"])
    assert SERVICES["worker"]["command"][0] == "worker"
    assert " ".join(SERVICES["backup"]["command"]) == BACKUP and SERVICES["backup"]["profiles"] == ["backup"]
    assert "443:443" in SERVICES["nginx"]["ports"]


def test_the_compose_apps_run_the_image_the_dockerfile_builds_with_the_env_file():
    for name in ("app1", "app2", "worker", "backup"):
        service = SERVICES[name]
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert context == PROJECT_ROOT and (context / service["build"]["dockerfile"]) == DEPLOY / "Dockerfile"
        assert service["env_file"] == ["abri.env"] and (DEPLOY / "abri.env.example").is_file()
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
    for service in SERVICES.values():  # every file the services mount from the checkout exists
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DEPLOY / volume.split(":")[0]).is_file(), volume
    for secret in COMPOSE["secrets"].values():  # made by the operator, never in the image's build context
        assert secret["file"].startswith("./secrets/")
    assert "deploy/secrets" in (DEPLOY / "Dockerfile.dockerignore").read_text("utf-8").split()


def test_the_dockerfile_installs_the_wheel_pip_builds_and_runs_abri_unprivileged():
    lines = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text("utf-8")).splitlines()
    instructions = [line.split(None, 1) for line in lines if line.strip() and not line.startswith("#")]
    runs = [rest for word, rest in instructions if word == "RUN"]
    assert "pip wheel --no-deps -w dist ." in runs
    assert any(re.search(r"pip install .*abri-\*\.whl", run) for run in runs)
    assert [rest for word, rest in instructions if word == "USER"] == ["abri"]
    assert [rest for word, rest in instructions if word == "ENTRYPOINT"] == ['["abri"]']
    assert all(rest.startswith("python:3.11") for word, rest in instructions if word == "FROM")


# --- nginx ----------------------------------------------------------------------------------------------------------

def test_nginx_accepts_the_site_file(nginx, certificate, tmp_path):
    config = main_config(tmp_path, render_site(8443, 8080, *certificate, tmp_path), render_upstream([5001, 5002, 5003]))
    done = subprocess.run(nginx_command(config, "-t"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "[warn]" not in done.stderr


# --- the document ---------------------------------------------------------------------------------------------------

def test_the_operations_recipe_names_only_settings_and_commands_that_exist():
    import click

    from server.cli import cli

    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    text = readme.split("### Running in production", 1)[1].split("\n## ", 1)[0]
    blocks = [re.sub(r"#.*", "", block) for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]  # no comments
    code = "\n".join(blocks + re.findall(r"`([^`\n]+)`", text))
    known = {f"ABRI_{name}" for name in load_config(environ={})} | {"ABRI_RS_MEMBERS"}  # init-replica-set.js's
    named_settings = set(re.findall(r"\bABRI_[A-Z0-9_]+(?!…)\b", text))  # not ABRI_SMTP_…, a family
    assert named_settings - known == set()
    named = re.findall(r"(?:^|[\s/])abri(?:-run)? ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", code)
    assert {command for command, _ in named} >= {"serve", "worker", "backup", "restore", "migrate"}
    for command, sub in named:
        assert command in cli.commands, command
        group = cli.commands[command]
        if isinstance(group, click.Group) and sub:
            assert sub in group.commands, f"abri {command} {sub}"
