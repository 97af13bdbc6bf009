"""`autoedit serve`: the engine process the Blender and Resolve hosts talk to (foreground)."""

from __future__ import annotations

import logging
import logging.handlers
import signal
from pathlib import Path

from engine.distributed.options import add_ray_argument, leave_cluster, ray_address


def add_arguments(parser) -> None:
    parser.add_argument(
        "--endpoint",
        help="ZeroMQ endpoint to listen on (default: server.endpoint, tcp://127.0.0.1:5557); a non-loopback "
        "endpoint needs --keys",
    )
    parser.add_argument(
        "--keys",
        metavar="DIR",
        help="CURVE keys made by `autoedit keys DIR` (default: server.curve_keys_dir)",
    )
    add_ray_argument(parser)


def _log_to_file(data_dir: Path) -> Path:
    from engine.paths import sub_dir

    path = sub_dir(data_dir, "logs") / "engine.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    engine_log = logging.getLogger("autoedit")
    engine_log.addHandler(handler)
    engine_log.setLevel(min(engine_log.getEffectiveLevel(), logging.INFO))
    return path


def run(args, ctx) -> int:
    from engine.server import security
    from engine.server.server import EngineServer

    ray_address(args, ctx)  # analysis and edit jobs then analyse on the cluster
    endpoint = args.endpoint or ctx.config.server.endpoint
    keys = args.keys or ctx.config.server.curve_keys_dir
    keys_dir = Path(keys).expanduser() if keys else None
    security.check_endpoint(endpoint, keys_dir)  # before anything is written anywhere
    log_path = _log_to_file(ctx.data_dir)
    server = EngineServer(ctx.config, ctx.data_dir, endpoint=endpoint, keys_dir=keys_dir)
    server.bind()
    logging.getLogger("autoedit.server").info("logging to %s", log_path)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: server.stop())
    try:
        server.serve_forever()
    finally:
        leave_cluster()
    return 0
