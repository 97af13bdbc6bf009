"""A job's `profile` option: the engine runs that job with that profile's settings (real engine, real ZeroMQ)."""

from __future__ import annotations

import pytest

from bridge.client import JobFailed

from .conftest import MEDIA


def test_a_studio_job_on_an_embedded_engine_uses_the_studio_models(tmp_path, start_engine, make_client):
    models = tmp_path / "models"
    models.mkdir()
    engine = start_engine(env={"AUTOEDIT_MODELS": str(models)})
    client = make_client(engine.endpoint)
    speech = [{"path": str((MEDIA / "speech" / "pocketsphinx_cards" / "001.wav").resolve())}]
    job = client.submit(speech, "", options={"profile": "studio"}, kind="analyze")
    with pytest.raises(JobFailed) as failed:
        client.wait(job, timeout_s=120)
    assert failed.value.code == "model_not_found"
    # the first studio model the analysis reaches: separation (stems) runs before words
    assert "model 'htdemucs (demucs)'" in str(failed.value) and str(models / "demucs") in str(failed.value)
    # the same engine, no profile asked: its own (embedded) settings, and the analysis completes
    done = client.wait(client.submit(speech, "", kind="analyze"), timeout_s=300)
    assert done["report"]["media"][0]["words"], "the embedded whisper should transcribe the cards"
