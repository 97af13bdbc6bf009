"""AutoEdit's DaVinci Resolve host: the logic behind the Workspace > Scripts entries.

Pure Python over Resolve's documented scripting objects (passed in, never imported), so it runs in
Resolve's own Python, in the external-scripting console and in tests against a fake Resolve. The
engine is reached through bridge.client.EngineClient (standard library + pyzmq).
"""

__version__ = "0.1.0"
