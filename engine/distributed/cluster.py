"""Joining a Ray cluster and keeping one pool of analysis actors per engine process.

`ray_address`: "auto" joins the cluster running on this machine (`ray start --head`), "HOST:PORT" a
given head, "local" starts a private one-machine cluster on 127.0.0.1 for this process. Usage stats
stay off, the dashboard is not started and a local cluster binds loopback only. Workers must import
the same `engine` (same install on every node) and see media at the same paths.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

from engine.config import EngineConfig
from engine.errors import ConfigError

_lock = threading.Lock()
_pools: dict[tuple[str, str, str], WorkerPool] = {}


def ray_module() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    return ray


def _private_cluster_environment() -> None:
    """A private cluster binds loopback only and authenticates with a token kept in memory (Ray would
    otherwise write one to ~/.ray, outside the engine's data dir); its processes inherit both."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # single machine: 127.0.0.1 only
    if "RAY_AUTH_MODE" not in os.environ:
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))


def connect(address: str) -> Any:
    """This process's connection to the cluster (made once)."""
    if address == "local":
        _private_cluster_environment()  # before Ray is imported: it reads its settings then
    ray = ray_module()
    if ray.is_initialized():
        return ray
    try:
        if address == "local":
            ray.init(
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except ConnectionError as exc:
        raise ConfigError(
            f"distributed.ray_address {address!r}: no Ray cluster answers there ({exc})"
        ) from None
    return ray


class WorkerPool:
    """The analysis actors: restarted by Ray when their process dies, their task then rerun."""

    def __init__(self, config: EngineConfig, data_dir: Path):
        settings = config.distributed
        self.settings = settings
        ray = connect(settings.ray_address or "auto")
        self.ray = ray
        count = settings.workers or _slots(
            ray.cluster_resources(), settings.worker_cpus, settings.worker_gpus
        )
        from engine.distributed.worker import AnalysisWorker, Board

        self.board = ray.remote(num_cpus=0)(Board).remote()
        actor = ray.remote(
            num_cpus=settings.worker_cpus,
            num_gpus=settings.worker_gpus,
            max_restarts=settings.max_retries,
            max_task_retries=settings.max_retries,
            runtime_env={"env_vars": thread_settings()},
        )(AnalysisWorker)
        # The settings go to the object store once, held here: Ray restarts a dead actor from its
        # constructor arguments, which must then still be there (ray-project/ray#53727).
        self._settings_ref = ray.put(config.model_dump(mode="json"))
        models_dir = settings.worker_data_dir or str(data_dir)
        self.actors = [actor.remote(self._settings_ref, models_dir, self.board) for _ in range(count)]
        self.start_timeout_s = settings.start_timeout_s
        self._up = False

    def where(self, timeout_s: float | None = None) -> list[dict[str, Any]]:
        """Each actor's node and pid, once they are up; ConfigError when they are not up in time (the
        cluster lacks the CPUs/GPUs asked for, say, or another driver holds them)."""
        timeout_s = self.start_timeout_s if timeout_s is None else timeout_s
        try:
            found = list(self.ray.get([a.where.remote() for a in self.actors], timeout=timeout_s))
        except self.ray.exceptions.GetTimeoutError:
            raise ConfigError(
                f"{len(self.actors)} analysis worker(s) of {self.settings.worker_cpus} CPU and "
                f"{self.settings.worker_gpus} GPU each are not up after {timeout_s:g} s: the cluster has "
                f"{self.ray.available_resources()} free (distributed.workers / worker_cpus / worker_gpus)"
            ) from None
        except self.ray.exceptions.RayActorError as exc:  # its constructor failed, past max_restarts
            raise ConfigError(
                f"an analysis worker did not start ({exc}): install the same autoedit and packages on "
                "every node, with the media and distributed.worker_data_dir at the same paths"
            ) from None
        self._up = True
        return found

    def ensure_up(self) -> None:
        if not self._up:
            self.where()

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.ray.kill(self.board, no_restart=True)


def thread_settings() -> dict[str, str]:
    """The threads a local run computes with, for the actors' processes.

    Ray starts an actor that holds 1 CPU with OMP_NUM_THREADS=1, and the libraries read it when they
    load: CTranslate2 (Whisper) then sums its int8 products in another order and the words' times and
    confidences move (0.633 -> 0.628, 1.14 -> 1.16 s on the batch test's clips). The actors get the
    head's settings instead, and where the head has none, what OpenMP defaults to: all the cores (the
    same count on every node of a uniform cluster)."""
    env = {
        name: os.environ[name] for name in ("MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS") if name in os.environ
    }
    env["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count() or 1)
    return env


def _slots(resources: dict[str, float], cpus: float, gpus: float) -> int:
    if gpus > 0:
        return max(1, int(resources.get("GPU", 0) // gpus))
    return max(1, int(resources.get("CPU", 1) // cpus))


def pool_for(config: EngineConfig, data_dir: Path) -> WorkerPool:
    """The process's pool for these settings: a server reuses it (and its loaded models) for every job.

    Keyed by what the actors are built from (the settings and the workers' model dir), not by the
    head's data dir: the results go back to whichever head cache asks. A process keeps one pool: the
    actors of an older one would hold the cluster's CPUs and leave the new ones unplaced (waiting
    forever, on a 2-CPU cluster), so it is closed first."""
    models_dir = config.distributed.worker_data_dir or str(data_dir)
    key = (config.distributed.ray_address or "auto", config.model_dump_json(), models_dir)
    with _lock:
        if key not in _pools:
            for old in _pools.values():
                old.close()
            _pools.clear()
            _pools[key] = WorkerPool(config, data_dir)
        return _pools[key]


def discard(pool: WorkerPool) -> None:
    """Forget a pool that could not start (its actors are killed): the next job makes a new one."""
    with _lock:
        for key in [k for k, v in _pools.items() if v is pool]:
            del _pools[key]
    pool.close()


def shutdown() -> None:
    """Stop this process's actors and leave the cluster (the CLI calls it when its command ends)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
    if "ray" in sys.modules:
        ray = ray_module()
        if ray.is_initialized():
            ray.shutdown()
