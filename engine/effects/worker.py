"""The sandbox's child process: run one effect function on frames sent over a pipe.

Started by `engine.effects.sandbox` as `python -I -c <this file's text> <limits JSON>`, so it imports
nothing of ours and sees no PYTHONPATH. Before any effect code exists in the process it: sets its
resource limits (CPU seconds, address space, no file bytes, no new processes, few descriptors),
leaves the network (a new user + network namespace with no interfaces, where the OS allows it),
moves its pipes off fds 0/1/2, imports and warms numpy/math, and then installs an audit hook that
refuses every audited operation from then on (open, socket, subprocess, fork, exec, import, ctypes,
os.*...). Effect code then runs with a small builtins table and only numpy and math.

Protocol (both ways): 4-byte big-endian length + UTF-8 JSON header, then raw bytes where the header
says `nbytes`. Parent -> child: {"op": "load", "source"}, then {"op": "frame", "shape", "t", "info",
"nbytes"} + frame bytes. Child -> parent: {"ok": true, ...} (+ frame bytes) or {"ok": false, "error"}.
"""

import builtins
import json
import math
import os
import resource
import struct
import sys

ALLOWED_MODULES = ("numpy", "math")
SAFE_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "len", "list", "max", "min",
    "pow", "range", "reversed", "round", "sorted", "sum", "tuple", "zip", "True", "False", "None",
    "ArithmeticError", "Exception", "IndexError", "KeyError", "ValueError", "ZeroDivisionError",
)  # fmt: skip


def _limits(cfg):
    mb = 1024 * 1024
    cpu = max(1, int(math.ceil(cfg["cpu_s"])))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (cfg["memory_mb"] * mb, cfg["memory_mb"] * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def _leave_network():
    """A new user + network namespace: only a down loopback, no route anywhere. Returns how."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newuser, clone_newnet = 0x10000000, 0x40000000
        if libc.unshare(clone_newuser | clone_newnet) == 0:
            return "network namespace"
        return f"sockets refused (unshare failed, errno {ctypes.get_errno()})"
    except Exception as exc:  # noqa: BLE001 - any failure falls back to the audit hook's refusal
        return f"sockets refused ({exc})"


def _warm(np):
    """Load numpy's lazily imported parts now, while imports are still allowed."""
    a = np.zeros((8, 8, 3), np.uint8).astype(np.float32)
    for f in (a.mean, a.std, a.var, a.sum, a.min, a.max, a.argmax, a.argmin, a.cumsum, a.prod, a.any, a.all):
        f()
        f(axis=0)
    a.mean(axis=2, keepdims=True)
    np.median(a), np.percentile(a, 50), np.quantile(a, 0.5), np.histogram(a), np.gradient(a[..., 0])
    rng = np.random.default_rng(0)
    rng.random(3), rng.normal(size=3), rng.integers(0, 3, 3), rng.uniform(size=3)
    np.fft.fft2(a[..., 0]), np.fft.ifft2(a[..., 0]), np.linalg.norm(a), np.convolve(a[0, :, 0], a[1, :, 0])
    np.meshgrid(np.arange(3), np.arange(3)), np.linspace(0, 1, 5), np.interp(0.5, [0, 1], [0, 1])
    np.pad(a, 1), np.roll(a, 1, axis=0), np.where(a > 0, a, 0), np.clip(a, 0, 1), np.stack([a, a])
    np.concatenate([a, a]), np.einsum("ijk->ij", a), np.round(a), np.sort(a), np.unique(a), np.nan_to_num(a)
    np.isnan(a).any(), np.isfinite(a).all(), a.round(), a.clip(0, 1), np.cumsum(a), np.diff(a)
    with np.errstate(all="ignore"):
        np.float32(1) / np.float32(0)


class Refused(Exception):
    pass


_ONE_EXEC = [1]  # the worker's own exec of the effect module; any later exec is refused


def _deny_everything(event, args):  # noqa: ARG001
    if event == "exec" and _ONE_EXEC:
        _ONE_EXEC.pop()
        return
    raise Refused(f"sandbox: {event} refused")


def _restricted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002, ARG001
    root = name.split(".")[0]
    if level == 0 and root in ALLOWED_MODULES and name in sys.modules:
        return sys.modules[root] if not fromlist else sys.modules[name]
    raise Refused(f"sandbox: import of {name!r} refused (numpy and math only)")


def _where(exc):
    """The effect's line: the traceback's second entry (the first is this file's call into it).
    Frames are not looked at: reading `tb_frame` is an audited operation."""
    tb = exc.__traceback__
    inner = tb.tb_next if tb is not None else None
    return f" (line {inner.tb_lineno})" if inner is not None else ""


def _read_exact(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(fd, header, payload=b""):
    data = json.dumps(header).encode()
    blob = struct.pack(">I", len(data)) + data + payload
    view = memoryview(blob)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd, max_header):
    (n,) = struct.unpack(">I", _read_exact(fd, 4))
    if n > max_header:
        raise EOFError
    return json.loads(_read_exact(fd, n))


def main():
    cfg = json.loads(sys.argv[1])
    _limits(cfg)
    network = _leave_network()
    inp, out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    import numpy as np

    _warm(np)
    resource.setrlimit(resource.RLIMIT_NOFILE, (8, 8))
    _send(out, {"ok": True, "ready": True, "network": network})
    request = _receive(inp, cfg["max_header"])
    if request.get("op") != "load":
        return
    safe = {name: getattr(builtins, name) for name in SAFE_BUILTINS if hasattr(builtins, name)}
    safe["__import__"] = _restricted_import
    scope = {"__builtins__": safe, "__name__": "effect", "np": np, "math": math}
    code = compile(request["source"], "<effect>", "exec")
    sys.addaudithook(_deny_everything)  # from here on nothing audited is allowed, for ever
    try:
        exec(code, scope)
        func = scope.get("effect")
        if not callable(func):
            raise Refused("the code defines no function effect(frame, t, info)")
    except BaseException as exc:  # noqa: BLE001 - any failure is reported, never raised
        _send(out, {"ok": False, "error": f"loading failed: {type(exc).__name__}: {exc}{_where(exc)}"})
        return
    _send(out, {"ok": True, "loaded": True})
    while True:
        try:
            request = _receive(inp, cfg["max_header"])
        except EOFError:
            return
        shape = tuple(int(v) for v in request["shape"])
        frame = np.frombuffer(_read_exact(inp, request["nbytes"]), np.uint8).reshape(shape).copy()
        try:
            got = func(frame, float(request["t"]), dict(request.get("info") or {}))
            result = np.asarray(got)
            if result.shape != shape:
                raise ValueError(f"returned shape {result.shape}, expected {shape}")
            if result.dtype.kind not in "uif" and result.dtype != np.bool_:
                raise ValueError(f"returned dtype {result.dtype}, expected numbers")
            if result.dtype.kind == "f" and not np.isfinite(result).all():
                raise ValueError("returned NaN or infinite values")
            pixels = np.clip(result, 0, 255).astype(np.uint8).tobytes()
        except BaseException as exc:  # noqa: BLE001
            _send(out, {"ok": False, "error": f"{type(exc).__name__}: {exc}{_where(exc)}"})
            continue
        _send(out, {"ok": True, "nbytes": len(pixels)}, pixels)


main()
