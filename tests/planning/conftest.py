"""Generated footage for planning tests: an interview, b-roll and a click-track, with exact truth."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from engine.analysis.report import AnalysisReport, MediaAnalysis
from engine.config import EngineConfig, load_config

from .edit_helpers import face_samples, media_from_truth, music_from_truth

SENTENCES = (
    ("Welcome to our workshop, where we build furniture by hand.", 0.5),
    ("First we choose the wood and check it for cracks.", 5.5),
    ("Our dog Biscuit sleeps under the bench all day.", 10.5),
    ("Then we cut every joint and sand it until it is smooth.", 15.0),
    ("Finally we oil the table and let it dry overnight.", 20.5),
)


@dataclass
class EditFootage:
    interview: MediaAnalysis
    broll: MediaAnalysis
    music: MediaAnalysis
    interview_truth: object
    broll_truth: object
    music_truth: object

    def report(self, *items: MediaAnalysis) -> AnalysisReport:
        return AnalysisReport(media=list(items or (self.interview, self.broll)))


@pytest.fixture(scope="session")
def footage(tmp_path_factory: pytest.TempPathFactory) -> EditFootage:
    from engine.synthetic import write_click_track, write_cuts, write_speech

    root = tmp_path_factory.mktemp("edit-footage")
    t_int = write_speech(
        root / "interview.mp4", SENTENCES, 26.0, rate=Fraction(25), cuts=[130, 260, 380, 510], size=(320, 180)
    )
    t_broll = write_cuts(
        root / "broll.mp4", Fraction(25), [40, 75, 120, 160, 210, 260, 300], 340, tones=False, size=(320, 180)
    )
    t_music = write_click_track(root / "music.wav", 100.0, 40.0, 0.3, 4)
    return EditFootage(
        media_from_truth(root / "interview.mp4", t_int, faces=face_samples(26.0, 0.7, 0.4)),
        media_from_truth(root / "broll.mp4", t_broll),
        music_from_truth(root / "music.wav", t_music),
        t_int,
        t_broll,
        t_music,
    )


@pytest.fixture(scope="session")
def rules_config() -> EngineConfig:
    return load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
