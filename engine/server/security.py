"""Who may talk to the engine: loopback by default; anything else only over CURVE with known client keys."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import zmq

from engine.errors import BadInput

SERVER_CERT = "server"
CLIENT_CERT = "client"
AUTHORIZED_DIR = "authorized_clients"


def is_local(endpoint: str) -> bool:
    """True for ipc://, inproc:// and tcp:// on a loopback address; a wildcard or a host name is not."""
    scheme, _, rest = endpoint.partition("://")
    if scheme in ("ipc", "inproc"):
        return True
    if scheme != "tcp":
        return False
    host = urlsplit(f"//{rest}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, keys_dir: Path | None) -> None:
    if "://" not in endpoint:
        raise BadInput(f"endpoint {endpoint!r} is not a ZeroMQ endpoint such as tcp://127.0.0.1:5557")
    if not is_local(endpoint) and keys_dir is None:
        raise BadInput(
            f"refusing to serve on {endpoint}: it is not a loopback address, and serving beyond this machine "
            "needs CURVE keys. Make them with `autoedit keys DIR` and start with `autoedit serve --keys DIR` "
            "(or set server.curve_keys_dir); give clients DIR/server.key and DIR/client.key_secret."
        )


def server_keys(keys_dir: Path) -> tuple[bytes, bytes]:
    import zmq.auth

    secret_file = keys_dir / f"{SERVER_CERT}.key_secret"
    if not secret_file.is_file():
        raise BadInput("no server secret key here; make keys with `autoedit keys DIR`", secret_file)
    public, secret = zmq.auth.load_certificate(secret_file)
    if secret is None:
        raise BadInput("not a secret key file", secret_file)
    authorized = keys_dir / AUTHORIZED_DIR
    if not authorized.is_dir() or not any(authorized.glob("*.key")):
        raise BadInput("no authorized client keys (*.key) here; `autoedit keys DIR` makes one", authorized)
    return public, secret


def start_authenticator(context: zmq.Context, keys_dir: Path):
    """zmq.auth checks every CURVE client against DIR/authorized_clients/*.key."""
    from zmq.auth.thread import ThreadAuthenticator

    auth = ThreadAuthenticator(context)
    auth.start()
    auth.configure_curve(domain="*", location=str(keys_dir / AUTHORIZED_DIR))
    return auth


def make_keys(out_dir: Path) -> dict[str, Path]:
    """A server key pair and one client key pair (authorized); secret files readable by the owner only."""
    import zmq.auth

    out_dir.mkdir(parents=True, exist_ok=True)
    made = {}
    for name in (SERVER_CERT, CLIENT_CERT):
        if (out_dir / f"{name}.key_secret").exists():
            raise BadInput(f"{name} keys already exist here; not overwriting them", out_dir)
    for name in (SERVER_CERT, CLIENT_CERT):
        public, secret = zmq.auth.create_certificates(out_dir, name)
        Path(secret).chmod(0o600)
        made[f"{name}_public"] = Path(public)
        made[f"{name}_secret"] = Path(secret)
    authorized = out_dir / AUTHORIZED_DIR
    authorized.mkdir(exist_ok=True)
    made["authorized_client"] = Path(shutil.copy2(made["client_public"], authorized / f"{CLIENT_CERT}.key"))
    return made
