"""The studio words (whisperx) get the same filler prompt as faster-whisper (issue 13).

whisperx is a studio-only extra that pins its own torch and is not installed here, so this checks the
options we hand to `whisperx.load_model(asr_options=...)`: they must be faster-whisper
`TranscriptionOptions` fields (whisperx builds that dataclass from them) and carry the prompt.
"""

from __future__ import annotations

import dataclasses

from faster_whisper.transcribe import TranscriptionOptions

from engine.analysis.words import FILLER_PROMPT, whisperx_asr_options
from engine.config import load_config


def test_whisperx_options_carry_the_filler_prompt():
    options = whisperx_asr_options(load_config().analysis)
    assert options["initial_prompt"] == FILLER_PROMPT
    assert set(options) <= {f.name for f in dataclasses.fields(TranscriptionOptions)}


def test_whisperx_prompt_follows_the_config_switch(monkeypatch):
    monkeypatch.setenv("AUTOEDIT__ANALYSIS__ASR_FILLER_PROMPT", "false")
    options = whisperx_asr_options(load_config().analysis)
    assert options["initial_prompt"] is None
    assert options["temperatures"] == list(load_config().analysis.asr_temperatures)
