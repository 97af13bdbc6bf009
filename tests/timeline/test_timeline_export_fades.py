"""The dialog's fades in the exports (issue 13): FCP7 XML gets an audio Cross Fade (+3dB) at each join
where the source jumps (read back by the same adapter with the cuts where they were); the EDL is
picture only and keeps no audio, so no fades."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio

from engine.analysis.report import MediaAnalysis
from engine.timeline.build import build_timeline
from engine.timeline.export import export_string, export_timeline, read_timeline
from engine.timeline.placement import PlacedClip

RATE = Fraction(25)


def _media(path: str) -> MediaAnalysis:
    return MediaAnalysis(
        path=path, sha256="0" * 64, duration=6.0, fps=25.0, rate=(25, 1), width=64, height=36, has_audio=True
    )


def _timeline(tmp_path) -> otio.schema.Timeline:
    low, high = _media(str(tmp_path / "low.mp4")), _media(str(tmp_path / "high.mp4"))
    media = [low, high]
    clips, at = [], Fraction(0)
    # low 12-37, high 50-75 (a jump: fade), low 37-62 (a jump back: fade), low 62-75 (continuous: none),
    # high 0-20 (a jump, but nothing before frame 0 to fade over: a plain cut)
    for k, (index, a, b) in enumerate([(0, 12, 37), (1, 50, 75), (0, 37, 62), (0, 62, 75), (1, 0, 20)]):
        m = media[index]
        clips.append(
            PlacedClip(
                decision_id=f"d{k}",
                reason="test",
                media_index=index,
                path=m.path,
                rate=RATE,
                start=a,
                end=b,
                record_start=at,
                record_end=at + Fraction(b - a) / RATE,
                kind="speech",
            )  # fmt: skip
        )
        at = clips[-1].record_end
    return build_timeline(clips, media, {}, "fades", "tl", {}, RATE, jl_cuts=False)


def test_fcp7_gets_an_audio_cross_fade_at_each_jump_with_handles(tmp_path):
    timeline = _timeline(tmp_path)
    xml = ET.fromstring(export_string(timeline, "fcp7"))
    (audio,) = [t for t in xml.iter("track") if t.find("clipitem/file") is not None and _is_audio(xml, t)]
    fades = audio.findall("transitionitem")
    assert [(int(f.findtext("start")), int(f.findtext("end"))) for f in fades] == [(24, 26), (49, 51)]
    for fade in fades:
        assert fade.findtext("alignment") == "center"
        assert fade.findtext("effect/effectid") == "KGAudioTransCrossFade3dB"
        assert fade.findtext("effect/mediatype") == "audio"
    assert not [t for t in xml.iter("transitionitem") if t.findtext("effect/mediatype") == "video"]

    path = export_timeline(timeline, tmp_path / "edit.xml")
    back = read_timeline(path)
    (dialog,) = [t for t in back.tracks if t.kind == otio.schema.TrackKind.Audio]
    kinds = [type(i).__name__ for i in dialog]
    assert kinds == ["Clip", "Transition", "Clip", "Transition", "Clip", "Clip", "Clip"]
    original = [c.source_range for c in timeline.tracks[1].find_clips()]
    assert [c.source_range for c in dialog.find_clips()] == original  # the cuts stay where they were
    assert all(
        t.in_offset.value == 1 and t.out_offset.value == 1
        for t in dialog
        if isinstance(t, otio.schema.Transition)
    )


def test_otio_keeps_fades_as_metadata_and_the_edl_has_no_audio(tmp_path):
    timeline = _timeline(tmp_path)
    assert not list(timeline.find_children(descended_from_type=otio.schema.Transition))
    edl = export_string(timeline, "edl")
    events = [line.split() for line in edl.splitlines() if line[:3].isdigit()]
    assert len(events) == 5 and {e[2] for e in events} == {"V"}  # picture events only: no audio, no fades
    assert "(picture only)" in edl


def _is_audio(root: ET.Element, track: ET.Element) -> bool:
    return any(track is t for t in root.iterfind(".//media/audio/track"))
