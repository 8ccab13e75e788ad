"""Applies to the runner's tests and to every exercise check: no network, ever."""

from arena_cli.offline import install_socket_guard, set_offline_env

set_offline_env()
install_socket_guard()
