"""Features of each candidate, read from the analysis report: what the scorer (prior or learned) sees.

All features are in [0, 1] (relevance in [-1, 1]) so a learned scorer sees the same scale for every
source. Text meaning comes from all-MiniLM-L6-v2 sentence embeddings, cached per text under the data
dir so re-planning on the same footage does not embed the same sentences again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.analysis.disfluencies import FILLER_WORDS, clean
from engine.analysis.report import MediaAnalysis
from engine.config import EngineConfig
from engine.planning.candidates import Candidate
from engine.planning.spec import EditSpec
from engine.progress import Job

FEATURE_NAMES = (
    "speech",  # share of the unit covered by words (or voice activity)
    "relevance",  # meaning of what is said vs the prompt's topics (cosine, -1..1)
    "avoid",  # closeness to a topic the prompt asks to leave out (0..1)
    "faces",  # share of face samples in the unit with a face
    "face_size",  # area of the largest face (fraction of the frame, scaled)
    "sharpness",  # percentile within the source
    "motion",  # percentile within the source
    "loudness",  # mean short-term loudness, 0 = -60 LUFS, 1 = 0 LUFS
    "novelty",  # 1 - similarity to what was said before it
    "fillers",  # share of filler words
    "duration",  # seconds / 10, capped at 1
    "position",  # where in the source (0 start, 1 end)
)


@functools.lru_cache(maxsize=2)
def _embedder(model_dir: str, device: str):  # type: ignore[no-untyped-def]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_dir, device=device, local_files_only=True)


def text_model_dir(config: EngineConfig) -> Path:
    from engine.models import locate

    root = locate(config.models.text_embedding, "text_embedding")
    # The package keeps the sentence-transformers folder in model/.
    return root / "model" if (root / "model" / "modules.json").exists() else root


class TextEmbedder:
    """MiniLM sentence embeddings, normalised, with an on-disk cache keyed by the text's hash."""

    def __init__(self, config: EngineConfig, data_dir: Path):
        self.model_dir = text_model_dir(config)
        self.device = "cpu" if config.torch_device() == "cpu" else config.torch_device()
        cache = data_dir / "planning"
        cache.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache / "text_embeddings.sqlite3")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self.name = f"{config.models.text_embedding.name}"

    def close(self) -> None:
        self._db.close()

    def embed(self, texts: Sequence[str], job: Job | None = None) -> np.ndarray:
        """One normalised vector per text; `job` hears after each EMBED_BATCH of new texts (a 10-hour
        talk has ~12k units to embed, minutes on a laptop CPU) and can cancel between them."""
        keys = [hashlib.sha1(f"{self.model_dir}|{t}".encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        if missing:
            model = _embedder(str(self.model_dir), self.device)
            for i in range(0, len(missing), EMBED_BATCH):
                if job is not None:
                    job.report("embed", i / len(missing), f"text meaning {i}/{len(missing)}")
                part = missing[i : i + EMBED_BATCH]
                vecs = model.encode(
                    [t for _, t in part], batch_size=64, normalize_embeddings=True, convert_to_numpy=True
                )
                rows = []
                for (key, _), vec in zip(part, vecs, strict=True):
                    found[key] = vec.astype(np.float32)
                    rows.append((key, found[key].tobytes()))
                self._db.executemany("INSERT OR REPLACE INTO emb(key, vec) VALUES (?, ?)", rows)
                self._db.commit()  # a cancelled or killed run keeps what it embedded
        if job is not None:
            job.report("embed", 1.0, f"{len(texts)} texts")
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([found[k] for k in keys])


EMBED_BATCH = 512  # texts embedded between two progress reports (and cancel checks)
NOVELTY_WINDOW = 400  # units; bounds the cost on long sources (linear instead of quadratic)


def _max_earlier_similarity(vecs: np.ndarray, block: int = 1024) -> np.ndarray:
    """For each row, the highest cosine similarity to one of the NOVELTY_WINDOW rows before it (0 for the first)."""
    out = np.zeros(len(vecs), dtype=np.float32)
    for i0 in range(0, len(vecs), block):
        i1 = min(len(vecs), i0 + block)
        j0 = max(0, i0 - NOVELTY_WINDOW)
        sims = vecs[i0:i1] @ vecs[j0:i1].T
        rows = np.arange(i0, i1)[:, None]
        cols = np.arange(j0, i1)[None, :]
        sims[(cols >= rows) | (rows - cols > NOVELTY_WINDOW)] = -1.0
        out[i0:i1] = np.maximum(sims.max(axis=1), 0.0)
    out[0] = 0.0
    return out


def _mean_in(times: np.ndarray, values: np.ndarray, a: float, b: float) -> float | None:
    lo, hi = int(np.searchsorted(times, a, "left")), int(np.searchsorted(times, b, "right"))
    if hi > lo:
        return float(np.mean(values[lo:hi]))
    if len(times):  # unit shorter than the sampling step: nearest sample
        i = min(max(lo, 0), len(times) - 1)
        return float(values[i])
    return None


def _percentiles(values: list[float]) -> list[float]:
    if not values:
        return []
    arr = np.asarray(values)
    order = arr.argsort().argsort()
    return list(order / max(1, len(arr) - 1))


def compute_features(
    candidates: list[Candidate],
    media: list[MediaAnalysis],
    spec: EditSpec,
    prompt: str,
    embedder: TextEmbedder | None,
    job: Job | None = None,
) -> np.ndarray:
    """Fill `candidate.features` in place; return the text embeddings (zero rows where nothing is said).
    `job` hears the embedding (most of the time) up to 0.9, then the per-unit features."""
    by_media: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_media.setdefault(c.media_index, []).append(c)

    texts = [c.text for c in candidates]
    has_text = np.array([bool(t.strip()) for t in texts])
    topics = spec.include or [prompt]
    rel = np.zeros(len(candidates))
    avoid = np.zeros(len(candidates))
    novelty = np.ones(len(candidates))
    all_vecs = np.zeros((len(candidates), 384), dtype=np.float32)
    if embedder is not None and has_text.any():
        idx = np.flatnonzero(has_text)
        vecs = embedder.embed([texts[i] for i in idx], job.sub("embed", 0.0, 0.9) if job else None)
        all_vecs = np.zeros((len(candidates), vecs.shape[1]), dtype=np.float32)
        all_vecs[idx] = vecs
        topic_vecs = embedder.embed(topics)
        rel[idx] = (vecs @ topic_vecs.T).max(axis=1)
        if spec.avoid:
            avoid[idx] = np.clip((vecs @ embedder.embed(spec.avoid).T).max(axis=1), 0, 1)
        # Novelty: how unlike what was said in the NOVELTY_WINDOW units before it (same source) this unit is.
        for m in by_media:
            mine = np.array([k for k, i in enumerate(idx) if candidates[i].media_index == m])
            if len(mine) > 1:
                novelty[idx[mine]] = 1.0 - np.clip(_max_earlier_similarity(vecs[mine]), 0, 1)
    for phrase in spec.avoid:  # a literal mention is as clear as it gets
        key = phrase.lower()
        for i, t in enumerate(texts):
            if key and key in t.lower():
                avoid[i] = 1.0

    for n, (m, group) in enumerate(by_media.items()):
        if job is not None:
            job.report("features", 0.9 + 0.1 * n / len(by_media), f"{len(group)} units of source {m + 1}")
        info = media[m]
        q = info.quality  # numpy columns (engine/analysis/columns.py): searched, not walked
        q_times, q_sharp, q_motion = np.asarray(q.times), np.asarray(q.sharpness), np.asarray(q.motion)
        l_times, l_lufs = np.asarray(info.loudness.times), np.asarray(info.loudness.lufs)
        sharp_raw = [_mean_in(q_times, q_sharp, c.start_s, c.end_s) if len(q_sharp) else None for c in group]
        motion_raw = [
            _mean_in(q_times, q_motion, c.start_s, c.end_s) if len(q_motion) else None for c in group
        ]
        sharp_p = _percentiles([v for v in sharp_raw if v is not None])
        motion_p = _percentiles([v for v in motion_raw if v is not None])
        sharp_iter, motion_iter = iter(sharp_p), iter(motion_p)
        faces = info.faces
        face_times = faces.times
        speech_spans = sorted((s.start, s.end) for s in info.speech)
        span_starts = [s for s, _ in speech_spans]
        for j, c in enumerate(group):
            a, b, d = c.start_s, c.end_s, max(c.duration_s, 1e-6)
            if c.words:
                spoken = sum(min(w.end, b) - max(w.start, a) for w in c.words if w.end > a and w.start < b)
            else:
                k = max(0, bisect_right(span_starts, a) - 1)
                spoken = 0.0
                while k < len(speech_spans) and speech_spans[k][0] < b:
                    s, e = speech_spans[k]
                    spoken += max(0.0, min(e, b) - max(s, a))
                    k += 1
            lo = int(np.searchsorted(face_times, a, "left"))
            hi = int(np.searchsorted(face_times, b, "right"))
            samples = faces[lo:hi]
            with_face = int(samples.has_face().sum())
            biggest = max(
                (box[2] * box[3] for k in range(len(samples)) for box in samples.boxes(k)), default=0.0
            )
            loud = _mean_in(l_times, l_lufs, a, b) if len(l_lufs) else None
            words = [clean(w.text) for w in c.words]
            c.features.update(
                speech=float(min(1.0, spoken / d)),
                faces=with_face / len(samples) if len(samples) else 0.0,
                face_size=float(min(1.0, biggest * 4)),
                sharpness=float(next(sharp_iter)) if sharp_raw[j] is not None else 0.5,
                motion=float(next(motion_iter)) if motion_raw[j] is not None else 0.5,
                loudness=float(np.clip((loud + 60) / 60, 0, 1))
                if loud is not None and np.isfinite(loud)
                else 0.0,
                fillers=sum(w in FILLER_WORDS for w in words) / len(words) if words else 0.0,
                duration=float(min(1.0, d / 10)),
                position=float(a / info.duration) if info.duration > 0 else 0.0,
            )
    for k, c in enumerate(candidates):
        c.features["relevance"] = float(rel[k])
        c.features["avoid"] = float(avoid[k])
        c.features["novelty"] = float(novelty[k])
    return all_vecs


def describe(c: Candidate) -> str:
    """The reason for choosing a unit, in plain words, from its strongest features."""
    f = c.features
    parts = []
    if c.kind == "speech" and c.text:
        snippet = c.text if len(c.text) <= 60 else c.text[:57].rsplit(" ", 1)[0] + "..."
        parts.append(f'says "{snippet}"')
        if f.get("relevance", 0) > 0.35:
            parts.append("on topic for the prompt")
    elif c.kind == "speech":
        parts.append("someone speaks")
    if f.get("faces", 0) >= 0.5:
        parts.append("a face in frame" if f.get("face_size", 0) < 0.5 else "a close-up face")
    if f.get("sharpness", 0.5) >= 0.75:
        parts.append("sharp")
    if f.get("motion", 0.5) >= 0.75:
        parts.append("lively movement")
    elif c.kind == "visual" and f.get("motion", 0.5) <= 0.25:
        parts.append("steady picture")
    if f.get("loudness", 0) >= 0.7:
        parts.append("loud moment")
    if f.get("novelty", 1) >= 0.8 and c.text:
        parts.append("says something new")
    if not parts:
        parts.append("fills the time with the best remaining picture")
    if c.muted:
        parts.append("its speech muted under the music")
    return ", ".join(parts)
