"""Errors the CLI turns into one clear line and an exit code (never a traceback)."""

from __future__ import annotations


class ArenaError(Exception):
    """A known failure: the message says what happened and what to do; `exit_code` is returned."""

    exit_code = 1


class UsageError(ArenaError):
    """The command was asked for something that does not exist or is not allowed now."""

    exit_code = 2


class WorkspaceNotFound(ArenaError):
    exit_code = 2


class ManifestError(ArenaError):
    exit_code = 2
