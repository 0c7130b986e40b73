"""Settings: an invalid security setting stops the server at start, naming the variable and what it accepts."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from server.app import create_app
from server.config import SettingInvalid, load_config

BASE = {"TESTING": True, "MONGO_URI": "mongomock://"}


@pytest.mark.parametrize("variable, value, allowed", [
    ("TRUSTED_PROXIES", "two", "a whole number from 0 (no proxy) to 10"),
    ("TRUSTED_PROXIES", "-1", "a whole number from 0 (no proxy) to 10"),
    ("SESSION_COOKIE_SECURE_MODE", "sometimes", "auto, always, never"),
    ("SESSION_COOKIE_SECURE_MODE", "false", "auto, always, never"),
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0", "a whole number, 1 or more"),
    ("LOGIN_MAX_FAILURES_PER_ADDRESS", "many", "a whole number, 1 or more"),
    ("LOGIN_WINDOW_MINUTES", "-5", "a whole number, 1 or more"),
    ("TOKEN_TTL_HOURS", "0", "a whole number, 1 or more"),
    ("SESSION_TTL_HOURS", "8h", "a whole number, 1 or more"),
    ("PASSWORD_MIN_LENGTH", "4", "a whole number from 8 to 32"),
    ("MAX_CONTENT_LENGTH", "2MB", "a whole number, 1 or more"),
    ("EXPORT_MAX_ATTEMPTS", "0", "a whole number from 1 to 20"),
    ("EXPORT_WORKER_THREADS", "-1", "a whole number from 0 to 32"),
    ("EXPORT_LEASE_SECONDS", "0", "a whole number from 30 to 86400"),
    ("EXPORT_LEASE_SECONDS", "-5", "a whole number from 30 to 86400"),
    ("EXPORT_POLL_SECONDS", "-1", "a whole number from 1 to 3600"),
    ("DISPLAY_ID_FORMAT", "{nope}", "{short_id} once"),
    ("DISPLAY_ID_FORMAT", "{short_id", "{short_id} once"),
    ("DISPLAY_ID_FORMAT", "{office_code}", "{short_id} once"),
    ("DISPLAY_ID_FORMAT", "{short_id}-{short_id}", "{short_id} once"),
    ("DISPLAY_ID_FORMAT", "{short_id!r}", "{short_id} once"),
    ("EXPORT_PASSWORD_KEY", "abc", "the base64 text of 32 random bytes"),
])
def test_an_invalid_security_setting_stops_the_app_with_its_name_and_the_allowed_values(
        monkeypatch, variable, value, allowed):
    monkeypatch.setenv(f"ABRI_{variable}", value)
    with pytest.raises(SettingInvalid) as refused:
        create_app(BASE)
    assert f"ABRI_{variable}" in str(refused.value) and allowed in str(refused.value)


def test_a_valid_display_id_format_and_export_key_are_accepted(monkeypatch):
    monkeypatch.setenv("ABRI_DISPLAY_ID_FORMAT", "{office_code}-{short_id}")
    monkeypatch.setenv("ABRI_EXPORT_PASSWORD_KEY", "dGVzdHMgb25seTogYWJyaSBleHBvcnQga2V5IDMyIGI=")
    create_app(BASE).close()


def test_an_invalid_export_key_is_refused_without_being_echoed(monkeypatch):
    key = "not-a-key-but-maybe-half-of-one"
    monkeypatch.setenv("ABRI_EXPORT_PASSWORD_KEY", key)
    with pytest.raises(SettingInvalid) as refused:
        create_app(BASE)
    assert "ABRI_EXPORT_PASSWORD_KEY" in str(refused.value) and key not in str(refused.value)


def test_a_whole_number_setting_given_as_text_is_refused_rather_than_a_traceback(monkeypatch):
    monkeypatch.setenv("ABRI_EXPORT_POLL_SECONDS", "often")
    with pytest.raises(SettingInvalid, match="ABRI_EXPORT_POLL_SECONDS"):
        create_app(BASE)


def test_valid_settings_from_the_environment_are_typed(monkeypatch):
    monkeypatch.setenv("ABRI_TRUSTED_PROXIES", " 2 ")
    monkeypatch.setenv("ABRI_PASSWORD_MIN_LENGTH", "12")
    app = create_app(BASE)
    assert app.config["TRUSTED_PROXIES"] == 2 and app.config["PASSWORD_MIN_LENGTH"] == 12


def test_the_defaults_are_valid():
    settings = load_config(environ={})
    assert settings["TRUSTED_PROXIES"] == 0 and settings["PASSWORD_MIN_LENGTH"] >= 10
    create_app(BASE)


@pytest.mark.parametrize("password, reason", [
    ("admin2024!", "Must not contain the user name or the person's name."),
    ("motdepasse2024", "This is one of the most common passwords"),
    ("short", "Must be at least 10 characters."),
])
def test_a_weak_first_administrator_password_stops_the_app_without_printing_it(monkeypatch, password, reason):
    monkeypatch.setenv("ABRI_ADMIN_PASSWORD", password)
    with pytest.raises(SettingInvalid) as refused:
        create_app(BASE)
    assert "ABRI_ADMIN_PASSWORD" in str(refused.value) and reason in str(refused.value)
    assert password not in str(refused.value)


def test_abri_serve_prints_the_invalid_setting_and_exits_non_zero(monkeypatch):
    from server.cli import cli

    monkeypatch.setenv("ABRI_MONGO_URI", "mongomock://")
    monkeypatch.setenv("ABRI_SESSION_COOKIE_SECURE_MODE", "yes please")
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "SETTING_INVALID" in result.output and "ABRI_SESSION_COOKIE_SECURE_MODE" in result.output
    assert "auto, always, never" in result.output and "Traceback" not in result.output


def test_abri_serve_refuses_an_invalid_setting_before_starting_the_embedded_database(monkeypatch, tmp_path):
    from server.cli import cli

    monkeypatch.setenv("ABRI_MONGO_URI", "")
    monkeypatch.setenv("ABRI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ABRI_DISPLAY_ID_FORMAT", "{nope}")
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1 and "ABRI_DISPLAY_ID_FORMAT" in result.output and "Traceback" not in result.output
    assert "Embedded database" not in result.output and not (tmp_path / "db").exists()


def test_an_installed_package_keeps_its_data_in_the_user_data_folder_and_reads_its_shipped_folders(monkeypatch, tmp_path):
    from server import config

    assert config.shipped_path("metadata") == config.PROJECT_ROOT / "metadata"  # a checkout: the repository's
    assert config.default_instance_path({}) == config.PROJECT_ROOT / "instance"
    shipped = tmp_path / "server" / "_shipped"
    (shipped / "metadata").mkdir(parents=True)
    monkeypatch.setattr(config, "SHIPPED_ROOT", shipped)  # as in a wheel
    assert config.shipped_path("metadata") == shipped / "metadata"
    assert config.default_instance_path({"XDG_DATA_HOME": str(tmp_path / "data")}) == tmp_path / "data" / "abri"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.default_instance_path({}) == tmp_path / "home" / ".local" / "share" / "abri"
