"""`--ray ADDRESS` for the subcommands that can send their analysis to a Ray cluster.

Importing this module does not import Ray: it only reads the option into the settings
(`distributed.ray_address`), and `leave_cluster` touches Ray only when a command used it.
"""

from __future__ import annotations

import sys


def add_ray_argument(parser) -> None:
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="analyse on a Ray cluster: 'auto' joins the one running here, HOST:PORT a given head, "
        "'local' starts a private one (default: distributed.ray_address; none = this process)",
    )


def ray_address(args, ctx) -> str | None:
    """The cluster to use, from --ray or the settings; the settings then say it for every job."""
    address = getattr(args, "ray", None) or ctx.config.distributed.ray_address
    if address:
        ctx.config.distributed.ray_address = address
    return address


def leave_cluster() -> None:
    if "engine.distributed.cluster" in sys.modules:
        from engine.distributed.cluster import shutdown

        shutdown()
