"""The sandbox against hostile effect code: every sample is refused by the check or contained by the
process (killed, or its operation refused), and nothing lands in the canary directory the samples
aim at. Good effects still render exactly what the same function gives in-process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from engine.effects.sandbox import EffectFailed, EffectRefused, Limits, Sandbox, check_source

TIGHT = Limits(cpu_s=1, memory_mb=512, frame_timeout_s=3)
FRAME = (np.arange(24 * 32 * 3, dtype=np.uint32) % 251).astype(np.uint8).reshape(24, 32, 3)


def wrap(body: str) -> str:
    """A sample as the body of effect(frame, t, info)."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return f"def effect(frame, t, info):\n{lines}\n    return frame\n"


# Refused by the check: the code never runs. {canary} is the directory they try to reach.
REFUSED = {
    "open for writing": wrap("open('{canary}/x', 'w').write('pwned')"),
    "open for reading": wrap("data = open('/etc/passwd').read()"),
    "import os": "import os\n" + wrap("os.system('touch {canary}/x')"),
    "from os import system": "from os import system\n" + wrap("system('touch {canary}/x')"),
    "import subprocess": "import subprocess\n" + wrap("subprocess.run(['touch', '{canary}/x'])"),
    "import socket": "import socket\n" + wrap("socket.create_connection(('1.1.1.1', 80))"),
    "import inside the function": wrap("import shutil\nshutil.rmtree('{canary}')"),
    "__import__": wrap("__import__('os').system('touch {canary}/x')"),
    "subclasses escape": wrap("c = ().__class__.__bases__[0].__subclasses__()"),
    "class via mro": wrap("k = frame.__class__.__mro__[-1]"),
    "function globals": wrap("g = effect.__globals__"),
    "builtins dict": wrap("b = __builtins__"),
    "eval": wrap("eval(\"__import__('os').system('id')\")"),
    "exec": wrap("exec('import os')"),
    "compile": wrap("c = compile('1', 'x', 'eval')"),
    "getattr with a string": wrap("f = getattr(frame, '__class__')"),
    "getattr built from parts": wrap("name = '__cl' + 'ass__'\nf = getattr(frame, name)"),
    "globals()": wrap("g = globals()"),
    "vars()": wrap("v = vars()"),
    "type() to make classes": wrap("T = type('T', (), {{}})"),
    "class statement": "class Evil:\n    pass\n" + wrap("pass"),
    "decorator": "def deco(f):\n    return f\n@deco\n" + wrap("pass").replace("def effect", "def effect", 1),
    "numpy file load": wrap("a = np.load('/etc/passwd')"),
    "numpy tofile": wrap("frame.tofile('{canary}/x')"),
    "numpy savetxt": wrap("np.savetxt('{canary}/x', frame[0])"),
    "numpy fromfile": wrap("a = np.fromfile('/etc/passwd')"),
    "numpy memmap": wrap("m = np.memmap('{canary}/x', mode='w+', shape=(10,))"),
    "numpy ctypeslib": wrap("lib = np.ctypeslib.load_library('libc', '/lib')"),
    "numpy lib submodule": wrap("np.lib.format.open_memmap('{canary}/x', mode='w+', shape=(3,))"),
    "numpy DataSource": wrap("d = np.DataSource('{canary}')"),
    "array ctypes attribute": wrap("p = frame.ctypes.data"),
    "array dump": wrap("frame.dump('{canary}/x')"),
    "math as a way to os": wrap("m = math.__loader__"),
    "private names": wrap("_x = 1"),
    "global statement": "counter = 0\n" + wrap("global counter\ncounter += 1"),
    "star args": "def helper(*args):\n    return args\n" + wrap("helper(1)"),
    "f-string format spec": wrap("s = f'{{frame.__class__}}'"),
    "str.format attribute walk": wrap("s = '{{0.__class__}}'.format(frame)"),
    "print": wrap("print('hello')"),
    "input": wrap("x = input()"),
    "breakpoint": wrap("breakpoint()"),
    "unknown name": wrap("os.system('id')"),
    "top-level statement": "x = [1]\nx.append(2)\nopen('{canary}/x', 'w')\n" + wrap("pass"),
    "no effect function": "def something(frame):\n    return frame\n",
    "wrong signature": "def effect(frame):\n    return frame\n",
    "not Python": "def effect(frame, t, info)\n    return frame\n",
    "lambda reaching dunder": wrap("f = (lambda: 0).__code__"),
    "generator frame": wrap("g = (x for x in []).gi_frame"),
    "with statement": wrap("with np.errstate():\n    pass"),
    "async function": "async def effect(frame, t, info):\n    return frame\n",
    "huge constant string": wrap("s = '" + "a" * 2000 + "'"),
}

# Pass the check, then break a limit at run time: killed or failed, never hanging the editor.
KILLED = {
    "infinite loop": wrap("while True:\n    pass"),
    "cpu bomb power": wrap("x = 10 ** 10 ** 8"),
    "memory bomb array": wrap("a = np.ones((100000, 100000))"),
    "memory bomb list": wrap("a = [0] * (10 ** 10)"),
    "string bomb": wrap("s = 'a' * (10 ** 11)"),
    "recursion bomb": "def down(n):\n    return down(n + 1)\n" + wrap("down(0)"),
    "huge output": "def effect(frame, t, info):\n    return np.zeros((20000, 20000, 3), np.uint8)\n",
    "NaN output": "def effect(frame, t, info):\n    return frame * np.nan\n",
    "infinite output": "def effect(frame, t, info):\n    return frame / 0.0 + np.inf\n",
    "wrong shape": "def effect(frame, t, info):\n    return frame[:, :, 0]\n",
    "returns None": "def effect(frame, t, info):\n    return None\n",
    "returns text": "def effect(frame, t, info):\n    return 'frame'\n",
    "raises": wrap("raise ValueError('nope')"),
    "divides by zero": wrap("x = 1 / 0"),
}

# Past the check on purpose (checked=False): the process itself must still contain them.
ESCAPES = {
    "open write": "open('{canary}/x', 'w').write('pwned')\ndef effect(frame, t, info):\n    return frame\n",
    "read passwd": "def effect(frame, t, info):\n    open('/etc/passwd').read()\n    return frame\n",
    "import os": "import os\ndef effect(frame, t, info):\n    return frame\n",
    "real __import__": "def effect(frame, t, info):\n    __import__('os').system('touch {canary}/x')\n    return frame\n",
    "subclasses to os.system": (
        "def effect(frame, t, info):\n"
        "    for c in ().__class__.__bases__[0].__subclasses__():\n"
        "        if c.__name__ == '_wrap_close':\n"
        "            c.__init__.__globals__['system']('touch {canary}/x')\n"
        "    return frame\n"
    ),
    "spawn through os globals": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    g['posix_spawn']('/usr/bin/touch', ['touch', '{canary}/x'], {{}})\n"
        "    return frame\n"
    ),
    "real open from os's builtins": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    g['__builtins__']['open']('{canary}/x', 'w').write('pwned')\n"
        "    return frame\n"
    ),
    "socket via numpy's sys": (
        "def effect(frame, t, info):\n"
        "    s = np.core.multiarray.__dict__\n"
        "    mods = [m for m in np.__dict__.values() if type(m).__name__ == 'module']\n"
        "    for m in mods:\n"
        "        if hasattr(m, 'sys'):\n"
        "            sock = m.sys.modules.get('socket') or m.sys.modules['os']\n"
        "            sock.system('touch {canary}/x')\n"
        "    return frame\n"
    ),
    "fork bomb through os": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    while True:\n"
        "        g['fork']()\n"
        "    return frame\n"
    ),
    "ctypes": (
        "def effect(frame, t, info):\n"
        "    ct = np.ctypeslib.ctypes\n"
        "    ct.CDLL(None).system(b'touch {canary}/x')\n"
        "    return frame\n"
    ),
    "exec of new code": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    g['__builtins__']['exec'](\"open('{canary}/x', 'w')\")\n"
        "    return frame\n"
    ),
    "network connect": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    socket = g['sys'].modules.get('socket') or g['__builtins__']['__import__']('socket')\n"
        "    socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
        "    return frame\n"
    ),
    "network via _socket": (
        "def effect(frame, t, info):\n"
        "    g = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        ".__init__.__globals__\n"
        "    imp = g['__builtins__']['__import__']\n"
        "    s = imp('_socket').socket()\n"
        "    s.connect(('1.1.1.1', 80))\n"
        "    return frame\n"
    ),
    "numpy writes a file": (
        "def effect(frame, t, info):\n    np.save('{canary}/x.npy', frame)\n    return frame\n"
    ),
}


@pytest.fixture()
def canary(tmp_path: Path) -> Path:
    folder = tmp_path / "canary"
    folder.mkdir()
    return folder


def test_at_least_forty_hostile_samples() -> None:
    assert len(REFUSED) + len(KILLED) + len(ESCAPES) >= 40


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_by_the_check(name: str, canary: Path) -> None:
    with pytest.raises(EffectRefused, match="refused"):
        Sandbox(REFUSED[name].format(canary=canary), TIGHT)
    assert list(canary.iterdir()) == []


def _contained(source: str, checked: bool) -> str:
    try:
        with Sandbox(source, TIGHT, checked=checked) as box:
            box.render(FRAME, 0.0, {"duration": 1.0})
    except (EffectFailed, EffectRefused) as exc:
        return str(exc)
    return "RAN"


def test_runtime_limits_contain_what_passes_the_check(canary: Path) -> None:
    for source in KILLED.values():
        check_source(source)  # these are legal code: the process has to contain them
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(KILLED, pool.map(lambda s: _contained(s, True), KILLED.values()), strict=True))
    ran = [name for name, text in outcomes.items() if text == "RAN"]
    assert not ran, f"not contained: {ran}"
    assert "NaN" in outcomes["NaN output"]
    assert (
        "shape" in outcomes["wrong shape"]
        and "shape" in outcomes["huge output"]
        or "killed" in outcomes["huge output"]
    )
    assert "killed" in outcomes["infinite loop"]
    assert "line 3" in outcomes["raises"] or "nope" in outcomes["raises"]
    assert list(canary.iterdir()) == []


def test_escapes_past_the_check_are_contained_by_the_process(canary: Path) -> None:
    sources = [s.format(canary=canary) for s in ESCAPES.values()]
    for source in sources:
        with pytest.raises(EffectRefused):
            check_source(source)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(ESCAPES, pool.map(lambda s: _contained(s, False), sources), strict=True))
    ran = [name for name, text in outcomes.items() if text == "RAN"]
    assert not ran, f"not contained: {ran}"
    assert all(
        "refused" in outcomes[k] for k in ("network connect", "fork bomb through os", "exec of new code")
    )
    assert list(canary.iterdir()) == [], outcomes


GOOD = {
    "invert": ("def effect(frame, t, info):\n    return 255 - frame\n", lambda f, t: 255 - f),
    "sepia": (
        "import numpy as np\n"
        "M = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]\n"
        "def effect(frame, t, info):\n"
        "    x = frame.astype(np.float32) @ np.array(M, np.float32).T\n"
        "    return np.clip(x, 0, 255)\n",
        lambda f, t: np.clip(
            f.astype(np.float32)
            @ np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32).T,
            0,
            255,
        ).astype(np.uint8),
    ),
    "time pulse": (
        "import math\n"
        "def effect(frame, t, info):\n"
        "    gain = 0.5 + 0.5 * math.cos(t * math.pi)\n"
        "    return frame * gain\n",
        lambda f, t: np.clip(f * (0.5 + 0.5 * np.cos(t * np.pi)), 0, 255).astype(np.uint8),
    ),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_effects_render_like_in_process(name: str) -> None:
    source, expected = GOOD[name]
    with Sandbox(source, TIGHT) as box:
        for t in (0.0, 0.25, 1.0):
            got = box.render(FRAME, t, {"duration": 2.0})
            assert got.shape == FRAME.shape and got.dtype == np.uint8
            assert np.abs(got.astype(int) - expected(FRAME, t).astype(int)).max() <= 1
