"""Every setting is documented, and settings load from defaults, config.toml and environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.settings import SETTINGS, SettingsError, load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_and_nothing_else():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    declared = {s.name for s in SETTINGS}
    assert declared - documented == set(), "settings missing from docs/configuration.md"
    assert documented - declared == set(), "docs/configuration.md documents unknown settings"


def test_order_defaults_toml_env_overrides(tmp_path):
    (tmp_path / "config.toml").write_text(
        'school_name = "启明培训学校"\nsession_idle_minutes = 20\n', encoding="utf-8")
    env = {"HANDOVER_SESSION_IDLE_MINUTES": "12", "PATH": "/bin"}
    s = load_settings(tmp_path, env=env)
    assert s["SCHOOL_NAME"] == "启明培训学校"
    assert s["SESSION_IDLE_MINUTES"] == 12
    assert s["LOGIN_MAX_FAILURES"] == 5
    s = load_settings(tmp_path, env=env, overrides={"SESSION_IDLE_MINUTES": 3})
    assert s["SESSION_IDLE_MINUTES"] == 3


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("shcool_name = 'x'", {}, "shcool_name"),
        ("", {"HANDOVER_SESSION_IDEL": "3"}, "HANDOVER_SESSION_IDEL"),
        ("", {"HANDOVER_LOGIN_MAX_FAILURES": "five"}, "LOGIN_MAX_FAILURES"),
        ("school_name = [", {}, "config.toml"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(tmp_path, toml, env, needle):
    (tmp_path / "config.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError, match=needle):
        load_settings(tmp_path, env=env)


@pytest.mark.parametrize("name, value", [("DEADLINE_T4B_DAYS", -1), ("DEADLINE_T3A_WEEKDAY", 8),
                                         ("DEADLINE_RECEIVE_DAYS", 400),
                                         ("WORKDAY_END_HOUR", 24)])
def test_a_deadline_setting_out_of_range_stops_the_start_with_its_name(
        tmp_path, instance_template, name, value):
    from tests.conftest import make_app

    with pytest.raises(SettingsError, match=name):
        make_app(tmp_path / "instance", instance_template, **{name: value})
