"""The recipe's nginx files (deploy/nginx/), made to run on this machine's loopback as an unprivileged test.

The tests run the recipe's own files, changed only where a test machine must differ from the server, by exact
substitutions that must each apply (so a change of the recipe that a substitution no longer matches fails here
rather than testing something else):

- abri.conf: the public ports 443 and 80 become loopback ports (the IPv6 listeners are dropped), the certificate
  paths name a self-signed certificate, and the ACME webroot a temporary folder;
- abri-upstream.conf: its `server 127.0.0.1:500N ...;` lines become one line per test process, with the same
  parameters.

Everything else (TLS, HSTS, body limits, proxy headers, the alert stream, /metrics) is the recipe's text. The
files are included in a minimal nginx.conf (`main_config`), as Debian's nginx.conf includes conf.d/ and
sites-enabled/ in its http block, with the pid file, logs and temporary folders in the test's folder.
"""
from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
from pathlib import Path

from server.config import PROJECT_ROOT

RECIPE = PROJECT_ROOT / "deploy" / "nginx"
SITE_NAME = "abri.ministere.example"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the recipe no longer holds {old!r}: update tests/deploy/nginx_recipe.py"
    return text.replace(old, new)


def render_site(https_port: int, http_port: int, certificate: Path, key: Path, webroot: Path) -> str:
    """deploy/nginx/abri.conf for 127.0.0.1:https_port (and http_port), with this certificate."""
    text = (RECIPE / "abri.conf").read_text("utf-8")
    for old, new in (("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("    listen [::]:443 ssl http2;\n", ""),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("    listen [::]:80;\n", ""),
                     (f"/etc/letsencrypt/live/{SITE_NAME}/fullchain.pem", str(certificate)),
                     (f"/etc/letsencrypt/live/{SITE_NAME}/privkey.pem", str(key)),
                     ("/var/www/letsencrypt", str(webroot))):
        text = _replace(text, old, new)
    return text


def render_upstream(ports: list[int]) -> str:
    """deploy/nginx/abri-upstream.conf naming the test's app processes instead of 127.0.0.1:5001..5003."""
    text = (RECIPE / "abri-upstream.conf").read_text("utf-8")
    server = re.compile(r"^( *)server 127\.0\.0\.1:\d+([^;]*);\n", flags=re.M)
    first = server.search(text)
    assert first, "abri-upstream.conf names no `server 127.0.0.1:PORT ...;` line"
    lines = "".join(f"{first[1]}server 127.0.0.1:{port}{first[2]};\n" for port in ports)
    return text[:first.start()] + lines + server.sub("", text[first.start():])


def _temp_paths(prefix: Path) -> str:
    """A temporary folder for each module that keeps one, in the test's folder (the built-in ones need root)."""
    built = subprocess.run([NGINX, "-V"], capture_output=True, text=True).stderr
    paths = [("client_body", "http_core")] + [(name, f"http_{name}") for name in ("proxy", "fastcgi", "uwsgi", "scgi")]
    return "".join(f"    {name}_temp_path {prefix / name};\n" for name, module in paths
                   if f"--without-{module}_module" not in built)


def main_config(prefix: Path, site: str, upstream: str) -> Path:
    """Write the recipe's files and an nginx.conf that includes them into `prefix`; return the nginx.conf."""
    (prefix / "abri.conf").write_text(site, "utf-8")
    (prefix / "abri-upstream.conf").write_text(upstream, "utf-8")
    # Run as root (CI), the workers would become `nobody`, who cannot enter the test's private folder.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    mime = "    include /etc/nginx/mime.types;\n" if Path("/etc/nginx/mime.types").is_file() else ""
    config = prefix / "nginx.conf"
    config.write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 512; }\n"
        "http {\n" + mime + "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n" + _temp_paths(prefix) +
        f"    include {prefix / 'abri-upstream.conf'};\n    include {prefix / 'abri.conf'};\n}}\n", "utf-8")
    return config


def nginx_command(config: Path, *arguments: str) -> list[str]:
    return [NGINX, "-p", str(config.parent), "-c", str(config), "-e", str(config.parent / "error.log"), *arguments]
