"""A MongoDB URI that would make writes undurable is refused as a setting, never with a traceback."""
from __future__ import annotations

import subprocess
import sys


def test_a_uri_turning_off_durable_writes_is_refused_as_a_setting_with_no_traceback(tmp_path):
    for option, shown in (("w=0", "w=0"), ("journal=false", "journal=false")):
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ABRI_INSTANCE_PATH": str(tmp_path / "instance"),
               "ABRI_MONGO_URI": f"mongodb://127.0.0.1:9/?{option}", "ABRI_DEFAULT_LOCALE": "fr"}
        done = subprocess.run([sys.executable, "-m", "server.cli", "metadata", "status"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert "SETTING_INVALID" in done.stderr and "ABRI_MONGO_URI" in done.stderr and shown in done.stderr
        assert "mongodb://" not in done.stderr  # a URI may hold a password: never echoed
