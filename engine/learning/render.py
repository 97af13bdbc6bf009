"""One text rendering of a decision in its context, shared by training and scoring.

The reward model reads text, so the planner's features (engine.planning.features: fractions,
percentiles and scaled values in [0, 1]) are rendered as the words an editor would use ("face
throughout", "shaky"), with seconds only for length: a small text encoder learns "face throughout"
from a hundred examples far more easily than the digits "0.82". Training pairs and live candidates go
through this same function, so the model scores exactly the kind of text it was trained on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

RENDER_VERSION = 2

# feature -> (ascending thresholds, one phrase per band); scales as engine.planning.features computes them
_BANDS: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "faces": ((0.05, 0.4, 0.8), ("no face", "a face briefly", "a face often", "a face throughout")),
    "face_size": ((0.05, 0.25, 0.6), ("", "small face", "medium face", "close-up face")),
    "speech": ((0.05, 0.35, 0.75), ("no speech", "a little speech", "some speech", "mostly speech")),
    "motion": ((0.25, 0.5, 0.75), ("still", "calm", "moving", "shaky fast motion")),
    "sharpness": ((0.25, 0.5, 0.75), ("blurry", "soft", "sharp", "very sharp")),
    "loudness": ((0.25, 0.5, 0.7), ("silent", "quiet", "normal volume", "loud")),
    "relevance": ((0.15, 0.35), ("off topic", "loosely on topic", "on topic")),
    "avoid": ((0.5,), ("", "touches an avoided topic")),
    "novelty": ((0.3,), ("repeats earlier content", "")),
    "fillers": ((0.05, 0.2), ("", "some filler words", "many filler words")),
    "position": ((0.2, 0.8), ("early in the source", "mid source", "late in the source")),
}
_LENGTH_WORDS = ((1.5, "very short"), (3.0, "short"), (6.0, "medium"), (float("inf"), "long"))
_ORDER = (
    "faces",
    "face_size",
    "speech",
    "motion",
    "sharpness",
    "loudness",
    "relevance",
    "avoid",
    "novelty",
    "fillers",
    "position",
)


def as_dict(obj: Any) -> dict[str, Any]:
    """Decisions arrive as dicts (from the store) or as the planner's objects (pydantic or dataclasses)."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump"):
        return dict(obj.model_dump())
    if hasattr(obj, "features") and hasattr(obj, "start_s"):  # engine.planning.candidates.Candidate
        return {
            "path": getattr(obj, "path", None),
            "source_start": obj.start_s,
            "source_end": obj.end_s,
            "features": dict(obj.features),
            "transcript": getattr(obj, "text", ""),
            "kind": getattr(obj, "kind", None),
        }
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError(f"cannot render a {type(obj).__name__} as a decision")


def band(name: str, value: float) -> str:
    edges, words = _BANDS[name]
    for edge, word in zip(edges, words, strict=False):
        if value < edge:
            return word
    return words[-1]


def length_words(seconds: float) -> str:
    word = next(w for limit, w in _LENGTH_WORDS if seconds < limit)
    return f"{word} shot ({seconds:.1f} s)"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _spec_text(spec: Mapping[str, Any]) -> str:
    parts = [str(spec["style"])] if spec.get("style") else []
    if spec.get("target_duration"):
        parts.append(f"{_number(spec['target_duration'])} s")
    pacing = spec.get("pacing")
    if isinstance(pacing, Mapping) and pacing.get("min_shot_s") is not None:
        parts.append(f"shots {_number(pacing['min_shot_s'])}-{_number(pacing.get('max_shot_s'))} s")
    for key in ("include", "avoid"):
        if spec.get(key):
            parts.append(f"{key} {', '.join(map(str, spec[key]))}")
    return ", ".join(parts)


def _duration_s(d: Mapping[str, Any], features: Mapping[str, Any]) -> float | None:
    start, end = d.get("source_start", d.get("start")), d.get("source_end", d.get("end"))
    if isinstance(start, int | float) and isinstance(end, int | float):
        return float(end) - float(start)
    if isinstance(features.get("duration"), int | float):
        return 10.0 * float(features["duration"])  # the planner's feature is seconds / 10
    return None


def render_decision(decision: Any, prompt: str = "", spec: Mapping[str, Any] | None = None) -> str:
    """Text the reward model scores: what the clip is first (it differs between candidates), then what it
    says, then the request it serves (shared by all candidates, so truncation may cut it first)."""
    d = as_dict(decision)
    features = as_dict(d.get("features"))
    phrases = []
    seconds = _duration_s(d, features)
    if seconds is not None:
        phrases.append(length_words(seconds))
    if d.get("kind"):
        phrases.append(f"{d['kind']} unit")
    for name in _ORDER:
        value = features.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            word = band(name, float(value))
            if word:
                phrases.append(word)
    lines = [", ".join(phrases)]
    transcript = d.get("transcript", d.get("text"))
    if isinstance(transcript, list):
        transcript = " ".join(str(w.get("text", w) if isinstance(w, Mapping) else w) for w in transcript)
    words = " ".join(str(transcript or "").split()[:20])
    lines.append(f'says "{words}"' if words else "says nothing")
    spec_text = _spec_text(spec or {})
    request = " ".join(prompt.split()[:16])
    if request or spec_text:
        lines.append("for: " + request + (f" ({spec_text})" if spec_text else ""))
    return "\n".join(line for line in lines if line)
