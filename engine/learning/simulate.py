"""A simulated editor with a hidden taste, reviewing edits through the real bridge.

The editor sees what a host sees: the result message's OTIO timeline, whose clips carry the engine's
`autoedit` metadata (decision_id and the measured features of the clip). Its taste is a weighted sum
over those measurements (a real editor's eye stands in for them), and it accepts a clip whose
utility is above its bar and rejects the rest, sending DESIGN.md preference events through
`bridge.client.EngineClient.send_feedback`, exactly as the Blender and Resolve hosts do. Nothing here
is visible to the engine except the events: the taste is what the learning loop has to discover.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# The footage the simulated editor cuts (bench/learning.py and the learning-loop test), relative to the
# shared media folder: faces, no faces, motion, speech and a rotated file, so tastes have something to tell apart.
SIMULATION_FOOTAGE = [
    "talking_head/video_retalking/face_1.mp4",
    "talking_head/video_retalking/face_2.mp4",
    "talking_head/video_retalking/face_3.mp4",
    "talking_head/video_retalking/face_4.mp4",
    "talking_head/video_retalking/face_5.mp4",
    "video_cuts/movienet_test1_titanic.mp4",
    "video_cuts/moviepy/chaplin.mp4",
    "video_cuts/pyscenedetect_issue-134-rotate.mp4",
]
# What a taste can weigh: the planner's features (all in [0, 1]) and "short" (1 at 0 s, 0 at 6 s and up).
TASTE_TERMS = ("faces", "face_size", "motion", "sharpness", "speech", "loudness", "short")


@dataclass(frozen=True)
class ClipView:
    """One placed clip as the host sees it in the OTIO result."""

    decision_id: str
    path: str
    source_start: float
    source_end: float
    features: Mapping[str, float]

    @property
    def seconds(self) -> float:
        return self.source_end - self.source_start

    def term(self, name: str) -> float:
        if name == "short":
            return 1.0 - min(self.seconds, 6.0) / 6.0
        return float(self.features.get(name, 0.0))


@dataclass(frozen=True)
class Taste:
    """utility = sum of weight x (term - 0.5); the clip is accepted when utility > bar."""

    name: str
    weights: Mapping[str, float]
    bar: float = 0.0

    def utility(self, clip: ClipView) -> float:
        return sum(w * (clip.term(k) - 0.5) for k, w in self.weights.items())

    def accepts(self, clip: ClipView) -> bool:
        return self.utility(clip) > self.bar

    def opposite(self) -> Taste:
        return Taste(f"opposite of {self.name}", {k: -w for k, w in self.weights.items()}, -self.bar)

    @classmethod
    def random(
        cls, seed: int, terms: Sequence[str] = ("faces", "face_size", "motion", "sharpness", "short")
    ) -> Taste:
        """A taste drawn per seed: normal weights, one term made dominant so the taste is decisive."""
        rng = random.Random(seed)
        weights = {t: round(rng.gauss(0.0, 0.5), 3) for t in terms}
        lead = rng.choice(list(terms))
        weights[lead] = round(rng.choice((-1.0, 1.0)) * rng.uniform(1.5, 2.5), 3)
        return cls(f"random taste (seed {seed})", weights)


# The taste the tests and bench/learning.py use by default: faces, steady camera, short shots.
STEADY_FACES = Taste(
    "prefers steady shots with faces, short; rejects shaky",
    {"motion": -2.0, "faces": 1.0, "short": 0.8, "sharpness": 0.3},
)


def clips_of(result: Mapping[str, Any]) -> list[ClipView]:
    """The engine-placed clips of a result message (their OTIO `autoedit` metadata)."""
    import opentimelineio as otio

    raw = result["otio"]
    timeline = otio.adapters.read_from_string(raw if isinstance(raw, str) else json.dumps(raw), "otio_json")
    out: list[ClipView] = []
    seen: set[str] = set()
    for clip in timeline.find_clips():
        meta = clip.metadata.get("autoedit") or {}
        did = meta.get("decision_id")
        if not did or did in seen:  # the audio and video of one decision are reviewed once
            continue
        seen.add(did)
        source = clip.source_range
        start = source.start_time.to_seconds() if source is not None else 0.0
        end = source.end_time_exclusive().to_seconds() if source is not None else 0.0
        ref = clip.media_reference
        path = getattr(ref, "target_url", "") or ""
        out.append(
            ClipView(
                str(did),
                path,
                float(start),
                float(end),
                {k: float(v) for k, v in dict(meta.get("features") or {}).items()},
            )
        )
    return out


@dataclass
class Review:
    timeline_id: str
    clips: list[ClipView]
    accepted: list[bool]
    utilities: list[float]
    events: list[dict[str, Any]] = field(default_factory=list)
    scorer: str = ""  # which scorer the engine used for this edit (its report says)

    @property
    def acceptance(self) -> float:
        return sum(self.accepted) / len(self.accepted) if self.accepted else 0.0


class Reviewer(Protocol):
    """Anything that reviews a result message into a Review (SimulatedEditor, media_tastes' editors)."""

    def review(self, result: Mapping[str, Any]) -> Review: ...


@dataclass
class SimulatedEditor:
    taste: Taste
    profile: str = "default"

    def review(self, result: Mapping[str, Any]) -> Review:
        return verdict_review(result, self.taste.utility, lambda _clip, u: u > self.taste.bar, self.profile)


def verdict_review(
    result: Mapping[str, Any],
    utility: Callable[[ClipView], float],
    keeps: Callable[[ClipView, float], bool],
    profile: str,
) -> Review:
    """Judge every placed clip (accept what `keeps`); the events are built with the hosts' `make_event`."""
    from bridge.events import make_event

    clips = clips_of(result)
    utilities = [utility(c) for c in clips]
    accepted = [keeps(c, u) for c, u in zip(clips, utilities, strict=True)]
    timeline_id = str(result["timeline_id"])
    events = [
        make_event("accept" if ok else "reject", timeline_id, c.decision_id, None, profile)
        for c, ok in zip(clips, accepted, strict=True)
    ]
    scorer = str((result.get("report") or {}).get("scorer", ""))
    return Review(timeline_id, clips, accepted, utilities, events, scorer)


@dataclass(frozen=True)
class EditRequest:
    media: tuple[str, ...]
    prompt: str
    target_duration: float
    seed: int

    def submit_args(self) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
        return (
            [{"path": p} for p in self.media],
            self.prompt,
            {"target_duration": self.target_duration, "seed": self.seed},
        )


def requests_for(
    media: Sequence[str], prompts: Sequence[str], targets: Sequence[float], seeds: Iterable[int]
) -> list[EditRequest]:
    """A varied stream of edit requests over the same footage (prompt, length and seed rotate)."""
    return [
        EditRequest(tuple(media), prompts[i % len(prompts)], targets[i % len(targets)], seed)
        for i, seed in enumerate(seeds)
    ]


def edit_through_bridge(client: Any, request: EditRequest, timeout_s: float = 600.0) -> dict[str, Any]:
    media, prompt, options = request.submit_args()
    job_id = client.submit(media, prompt, options)
    return client.wait(job_id, timeout_s=timeout_s)


def collect_feedback(
    client: Any,
    editor: Reviewer,
    requests: Iterable[EditRequest],
    min_events: int,
    flush_timeout_s: float = 30.0,
) -> list[Review]:
    """Edit and review until at least `min_events` events were sent and acknowledged by the engine."""
    reviews: list[Review] = []
    sent = 0
    for request in requests:
        review = editor.review(edit_through_bridge(client, request))
        client.send_feedback(review.events)
        sent += len(review.events)
        reviews.append(review)
        if sent >= min_events:
            break
    left = client.flush(flush_timeout_s)
    if left:
        raise RuntimeError(f"{left} feedback events were not acknowledged by the engine")
    if sent < min_events:
        raise RuntimeError(f"the requests ran out after {sent} events (wanted {min_events})")
    return reviews


def acceptance_of(
    client: Any, editor: Reviewer, requests: Iterable[EditRequest]
) -> tuple[float, list[Review]]:
    """The editor's acceptance rate over fresh edits (reviewed, not sent: a measurement, not training)."""
    reviews = [editor.review(edit_through_bridge(client, r)) for r in requests]
    judged = [ok for r in reviews for ok in r.accepted]
    return (sum(judged) / len(judged) if judged else 0.0), reviews


def free_loopback_endpoint() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@contextmanager
def local_engine(
    data_dir: Path, work_dir: Path, config_file: Path | None = None, start_timeout_s: float = 120.0
) -> Iterator[Any]:
    """`autoedit serve` on a free loopback port with its own data dir, and a host's EngineClient to it."""
    from bridge.client import EngineClient
    from bridge.local_engine import local_engine_argv

    endpoint = free_loopback_endpoint()
    client = EngineClient(
        endpoint,
        spool_dir=work_dir / "spool",
        autostart=local_engine_argv(sys.executable, endpoint, data_dir, config_file),
        autostart_log=work_dir / "engine.out",
    )
    try:
        client.ensure_engine(start_timeout_s)
        yield client
    finally:
        client.stop_engine()
        client.close()
