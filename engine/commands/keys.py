"""`autoedit keys [DIR]`: CURVE keys for serving beyond loopback (zmq.auth certificates)."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("out_dir", nargs="?", help="where to write the keys (default: DATA_DIR/keys)")


def run(args, ctx) -> int:
    from engine.console import err_console
    from engine.server.security import make_keys

    out_dir = Path(args.out_dir).expanduser() if args.out_dir else ctx.data_dir / "keys"
    made = make_keys(out_dir)
    err_console.print(f"CURVE keys written to {out_dir}")
    err_console.print(f"  engine: autoedit serve --endpoint tcp://0.0.0.0:5557 --keys {out_dir}")
    err_console.print(
        f"  host:   server key {made['server_public']}, client key pair {made['client_secret']}"
    )
    err_console.print(f"  more clients: copy their public .key files into {out_dir / 'authorized_clients'}")
    print(out_dir)
    return 0
