"""Keep every check offline: environment switches for the hubs, and a socket guard.

`install_socket_guard()` makes any connection to a non-loopback address raise at once, so a check
(or a learner's code) that would reach the network fails loudly instead of hanging or downloading.
Loopback stays open: `torch.distributed` exercises talk to local processes over 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import socket

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "WANDB_DISABLE_GIT": "true",
    "TOKENIZERS_PARALLELISM": "false",
}


class NetworkBlocked(ConnectionError):
    """Raised instead of opening a connection to the outside world."""


def set_offline_env(environ: dict[str, str] | os._Environ = os.environ) -> None:
    for key, value in OFFLINE_ENV.items():
        environ.setdefault(key, value)


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise NetworkBlocked(f"network access is blocked in arena (tried to connect to {address!r})")
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise NetworkBlocked(f"network access is blocked in arena (tried to connect to {address!r})")
    return _original_connect_ex(self, address)


def install_socket_guard() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def socket_guard_installed() -> bool:
    return socket.socket.connect is _guarded_connect
