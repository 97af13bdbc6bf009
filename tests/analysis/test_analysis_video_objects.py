"""Studio-profile object detection: local weights only, and a clear ModelNotFound when they are absent."""

from __future__ import annotations

import importlib.util

import pytest

from engine.analysis.runner import analyse_files
from engine.config import CONFIG_DIR, load_config
from engine.errors import ModelNotFound
from engine.progress import Job


def test_missing_weights_name_the_model_the_place_and_the_fix(synthetic, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOEDIT_MODELS", str(tmp_path / "models"))  # the studio profile's model root
    config = load_config(CONFIG_DIR / "studio.yaml", environ={})
    with pytest.raises(ModelNotFound) as caught:
        analyse_files([synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"])
    message = str(caught.value)
    assert "rtdetr-l" in message
    assert str(tmp_path / "models" / "rtdetr-l.pt") in message
    assert "AUTOEDIT__MODELS__OBJECTS__PATH" in message


def test_model_built_from_its_yaml_or_a_clear_missing_package_error(synthetic, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "rtdetr-l.yaml").write_text("# ultralytics builds RT-DETR-l untrained from its yaml name\n")
    monkeypatch.setenv("AUTOEDIT_MODELS", str(models))
    config = load_config(
        CONFIG_DIR / "studio.yaml", environ={"AUTOEDIT__MODELS__OBJECTS__PATH": str(models / "rtdetr-l.yaml")}
    )
    if importlib.util.find_spec("ultralytics") is None:
        with pytest.raises(ModelNotFound, match="ultralytics") as caught:
            analyse_files([synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"])
        assert "studio" in str(caught.value)
    else:
        report = analyse_files(
            [synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"]
        )
        (media,) = report.media
        assert media.objects and all(0 <= b[0] <= 1 for s in media.objects for b in s.boxes)
