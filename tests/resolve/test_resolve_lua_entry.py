"""The free edition's Lua entry script, run in a real Lua 5.1 (lupa) against the fake Resolve.

The script is installed by the real `install-resolve` code (its paths filled in), then driven the way
its buttons drive it: Auto Edit (the helper runs the job in this Python, the script imports and marks
the timeline), Send feedback (clip colours), Send my edit back (a trim). Resolve's Lua binding hands
scripts Lua tables (1-based lists, dicts) and takes them back, so the fake is seen through a view that
converts, the way fusionscript does. lupa's bundled Lua is built without io.popen (LUA_USE_POPEN), so
the runtime gets the C library's behaviour back: `/bin/sh -c CMD` with its stdout as a line reader.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from autoedit_resolve import marks
from autoedit_resolve.otio_json import parse_timeline
from lupa import lua51

from .fake_resolve import FakeResolve


class LuaView:
    """A fake Resolve object as Resolve's Lua binding presents it."""

    def __init__(self, runtime: Any, obj: Any):
        self._runtime = runtime
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        if not callable(attr):
            return to_lua(self._runtime, attr)

        def call(*args: Any) -> Any:
            if args and args[0] is self:
                args = args[1:]
            return to_lua(self._runtime, attr(*(from_lua(a) for a in args)))

        return call


def to_lua(runtime: Any, value: Any) -> Any:
    if isinstance(value, list | tuple):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return LuaView(runtime, value)


def from_lua(value: Any) -> Any:
    if isinstance(value, LuaView):
        return value._obj
    if type(value).__name__ == "_LuaTable":
        keys = list(value.keys())
        if keys and all(isinstance(k, int) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [from_lua(value[k]) for k in sorted(keys)]
        return {k: from_lua(value[k]) for k in keys}
    return value


class Pipe:
    """What io.popen(cmd, "r") returns in a stock Lua: read lines until the command's stdout ends."""

    opened: list[Pipe] = []

    def __init__(self, command: str):
        self._proc = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, text=True)
        Pipe.opened.append(self)

    def lines(self, *_self: Any) -> Any:
        def next_line(*_state: Any) -> str | None:  # the generic for passes (state, control)
            line = self._proc.stdout.readline()
            return line.rstrip("\n") if line else None

        return next_line

    def close(self, *_self: Any) -> bool:
        self._proc.stdout.close()
        return self._proc.wait() == 0

    @classmethod
    def end_all(cls) -> None:
        """A failed test must not leave a helper running (it would keep its engine connection alive)."""
        for pipe in cls.opened:
            if pipe._proc.poll() is None:
                pipe._proc.kill()
                pipe._proc.wait()
        cls.opened.clear()


@pytest.fixture
def lua_script(tmp_path: Path, resolve_engine):
    """The installed Lua entry as a module (M), with the test engine's endpoint in its settings."""
    from engine.commands.install_resolve import ENTRY_LUA, SETTINGS_NAME, install
    from engine.config import load_config

    config = load_config(None)
    config.server.endpoint = resolve_engine.endpoint
    data_dir = tmp_path / "host-data"
    install(tmp_path / "Scripts", config, data_dir)
    # No autostart in tests: if the test engine went away, a helper must fail, not start an engine of its own.
    settings_file = tmp_path / "Scripts" / "Utility" / SETTINGS_NAME
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    settings.pop("engine_python")
    settings_file.write_text(json.dumps(settings), encoding="utf-8")
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().AUTOEDIT_TEST_MODE = True
    # With Lua's collector running, a view came back as another Python object (a Pipe) in some test
    # orders — lupa's userdata, not the script (the same script passes alone; removing an unrelated
    # loop moved it). The script's objects here are few and short-lived: the collector stays off.
    runtime.execute('collectgarbage("stop")')
    runtime.globals().io.popen = lambda command, mode="r": Pipe(command)
    source = (tmp_path / "Scripts" / "Utility" / ENTRY_LUA).read_text(encoding="utf-8")
    module = runtime.execute(source)
    yield runtime, module, data_dir
    Pipe.end_all()


def test_lua_entry_edits_marks_and_sends_feedback(lua_script, edit_media, resolve_engine):
    runtime, M, data_dir = lua_script
    resolve = FakeResolve(version=(19, 1, 4))
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select(edit_media)
    app = LuaView(runtime, resolve)

    values = runtime.table_from(
        {"prompt": "quick highlight reel", "source": "selected", "duration": "8", "seed": "5"}
    )
    ok, message = M.edit(app, values)
    assert ok, message
    assert "clips marked for review" in message

    (call,) = resolve.calls.named("ImportTimelineFromFile")
    path, options, content = call
    assert path.endswith(".otio") and path.startswith(str(data_dir))
    assert options == {"timelineName": "AutoEdit - quick highlight reel", "importSourceClips": True}
    engine = parse_timeline(content.decode("utf-8"))
    timeline = resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
    items = sorted(timeline.GetItemListInTrack("video", 1), key=lambda i: i.GetStart(False))
    decisions = [c.decision_id for c in engine.track("Video", 1)]
    assert [next(iter(i.GetMarkers().values()))["customData"] for i in items] == decisions
    assert {i.GetClipColor() for i in items} == {marks.REVIEW_CLIP_COLOR}
    assert marks.timeline_id_of(timeline) == engine.timeline_id
    recorded = otio.adapters.read_from_string(resolve_engine.recorded_otio(engine.timeline_id))
    assert otio.adapters.read_from_string(content.decode("utf-8")).is_equivalent_to(recorded)

    items[0].SetClipColor("Green")
    items[1].AddFlag("Red")
    ok, message = M.feedback(app, False)
    assert ok, message
    rows = resolve_engine.rows(engine.timeline_id)
    assert [(r["decision_id"], r["kind"]) for r in rows] == [
        (decisions[0], "accept"),
        (decisions[1], "reject"),
    ]
    ok, _ = M.feedback(app, False)
    assert ok and len(resolve_engine.rows(engine.timeline_id)) == 2

    timeline.ui_trim(items[2], head_frames=2)
    ok, message = M.feedback(app, True)
    assert ok, message
    trims = [r for r in resolve_engine.rows(engine.timeline_id) if r["kind"] == "trim"]
    assert [(t["decision_id"], t["value"]["head_frames"]) for t in trims] == [(decisions[2], 2)]


def test_lua_json_writer_round_trips_through_python(lua_script):
    import json

    runtime, M, _ = lua_script
    data = runtime.execute(
        'return {name = "a \\"b\\"\\n\\\\", list = {1, 2.5, "x"}, empty = {}, flag = true, nested = {k = {1}}}'
    )
    assert json.loads(M.json(data)) == {
        "name": 'a "b"\n\\',
        "list": [1, 2.5, "x"],
        "empty": {},
        "flag": True,
        "nested": {"k": [1]},
    }
