"""The Resolve host's settings profile: installed into its settings file, passed to the engine it starts
and sent with every job, so an engine started elsewhere still runs the job with the editor's profile."""

from __future__ import annotations

import json

from autoedit_resolve.settings import load_settings

from engine.commands.install_resolve import settings_for
from engine.config import load_config


def test_profile_from_the_settings_file_reaches_the_engine_and_the_job(tmp_path):
    settings_file = tmp_path / "autoedit_resolve.json"
    settings_file.write_text(
        json.dumps({"data_dir": str(tmp_path), "engine_command": ["autoedit"], "profile": "studio"})
    )
    settings = load_settings(settings_file, environ={})
    argv = settings.autostart_argv()
    assert argv is not None and argv[-2:] == ["--profile", "studio"]
    assert settings.job_options({"seed": 3}) == {"seed": 3, "profile": "studio", "editor_profile": "default"}
    assert "profile" not in settings.extra


def test_without_a_profile_the_engine_keeps_its_own(tmp_path):
    settings = load_settings(
        None, environ={"AUTOEDIT_DATA_DIR": str(tmp_path), "AUTOEDIT_ENGINE": "autoedit"}
    )
    assert "--profile" not in (settings.autostart_argv() or [])
    assert settings.job_options({"seed": 3}) == {"seed": 3, "editor_profile": "default"}
    assert load_settings(None, environ={"AUTOEDIT_PROFILE": "embedded"}).profile == "embedded"


def test_install_resolve_writes_the_chosen_profile(tmp_path):
    written = settings_for(load_config(profile="studio", environ={}), tmp_path, tmp_path)
    assert written["profile"] == "studio"
    assert load_settings(None, environ={}).profile is None


def test_the_editor_profile_names_whose_taste_the_job_and_the_reviews_are(tmp_path):
    settings_file = tmp_path / "autoedit_resolve.json"
    settings_file.write_text(json.dumps({"data_dir": str(tmp_path), "editor_profile": "alice"}))
    settings = load_settings(settings_file, environ={})
    assert settings.job_options({})["editor_profile"] == "alice" and "editor_profile" not in settings.extra
    assert load_settings(None, environ={"AUTOEDIT_EDITOR_PROFILE": "bob"}).editor_profile == "bob"
