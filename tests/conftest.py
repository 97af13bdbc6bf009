"""Session fixtures every test directory shares: the repo, the real media, one engine data dir, the
synthetic clips with exact truth, and a way to run the real `autoedit` console script.

The environment is made hermetic here, before any test module imports transformers or
huggingface_hub: no network, no user config, and the engine writes only under a session tmp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.append(str(REPO / "tests"))  # `import shared_media` works under any import mode

import shared_media as media_helpers  # noqa: E402

for _name in list(os.environ):
    if _name.startswith("AUTOEDIT__") or _name in (
        "AUTOEDIT_CONFIG",
        "AUTOEDIT_DATA_DIR",
        "AUTOEDIT_PROFILE",
    ):
        del os.environ[_name]
os.environ.update(
    {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "YOLO_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """../shared/media (read-only real clips); fails, naming the path, when this checkout lacks it."""
    try:
        return media_helpers.media_root()
    except media_helpers.SharedMediaMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def manifest(shared_media: Path) -> tuple[media_helpers.ManifestRow, ...]:
    """MANIFEST.tsv rows; see tests/shared_media.py for filters and ground-truth loaders."""
    return media_helpers.rows()


@pytest.fixture(scope="session")
def engine_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the whole session, so analysis caches and loaded models are shared."""
    return tmp_path_factory.mktemp("autoedit-data")


@pytest.fixture(scope="session", autouse=True)
def _engine_environment(engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """AUTOEDIT_DATA_DIR for code and subprocesses that get no --data-dir; nothing lands in ~/.cache."""
    with pytest.MonkeyPatch.context() as env:  # restored after the session
        env.setenv("AUTOEDIT_DATA_DIR", str(engine_data_dir))
        env.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("yolo-config")))
        yield


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    """The generated clips (engine.synthetic.generate) with their exact truth; written once per session.

    synthetic["cuts_23976"].path, .truth.cuts, .truth.frame_times; synthetic.of_kind("speech"); the
    same set is described in synthetic.truth_path (truth.json).
    """
    from engine.synthetic import generate

    return generate(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def autoedit_exe() -> Path:
    """The installed `autoedit` console script of this venv (what a user runs)."""
    exe = Path(sys.executable).parent / "autoedit"
    if not exe.exists():
        pytest.fail(
            f"console script not found at {exe}: install the package (pip install -e .)", pytrace=False
        )
    return exe


@pytest.fixture(scope="session")
def autoedit(autoedit_exe: Path, engine_data_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real CLI: autoedit("analyze", path, env={...}, timeout=60) -> CompletedProcess (text).

    Uses the session data dir unless the arguments name another --data-dir; `env` adds variables.
    """

    def run(*args: str | os.PathLike[str], env: dict[str, str] | None = None, timeout: float = 300, cwd=None):
        full_env = dict(os.environ)
        full_env.setdefault("AUTOEDIT_DATA_DIR", str(engine_data_dir))
        full_env.setdefault("COLUMNS", "240")  # rich wraps stderr at 80 columns when it is not a terminal
        full_env.update(env or {})
        return subprocess.run(
            [str(autoedit_exe), *map(str, args)],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )

    return run
