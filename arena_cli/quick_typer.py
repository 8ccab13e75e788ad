"""Typer command classes that keep `arena list` and `arena hint` from importing pydantic.

Typer 0.29 coerces each parameter's value through a pydantic TypeAdapter, built on first use;
importing pydantic for that costs about 60 ms of a 200 ms command. Our read-only commands take
only flags and plain text, which need no coercion:
- the help flag has no default, so its value is None and goes to pydantic; a False default is
  what it would have coerced to, and Typer skips coercion for bools;
- a plain `str` argument or option is passed through as text.
Every other parameter keeps Typer's own coercion. If Typer's internals move, this degrades to
Typer's normal behaviour (slower start-up, same results).

The help of a flag (`--json`, `--yes`, `--help`) shows no `<bool>` type: a flag takes no value,
so the type column only adds noise; options that take a value keep theirs (`<int>`, `FILE`).
"""

from __future__ import annotations

from typing import Any, Optional

from typer.core import TyperCommand, TyperGroup

try:  # private in Typer; only a speed-up, so its absence is fine
    from typer._coercion import RuntimeParam
except ImportError:  # pragma: no cover - depends on the installed Typer
    RuntimeParam = None  # type: ignore[assignment,misc]

_TEXT_ANNOTATIONS = (str, Optional[str])


def _help_flag_defaults_to_false(option: Any) -> Any:
    if option is not None and getattr(option, "default", False) is None:
        option.default = False
    return option


if RuntimeParam is not None:

    class _PassThroughText(RuntimeParam):  # type: ignore[misc,valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            return value if isinstance(value, str) else str(value)


def _coerce_text_without_pydantic(params: list[Any]) -> list[Any]:
    if RuntimeParam is None:
        return params
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if (
            descriptor is not None
            and getattr(param, "_runtime_param", "absent") is None
            and descriptor.annotation in _TEXT_ANNOTATIONS
            and descriptor.file_annotation is None
            and not getattr(param, "multiple", False)
            and getattr(param, "nargs", 1) == 1
        ):
            param._runtime_param = _PassThroughText(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
    return params


def _no_type_for_flag(ctx: Any) -> None:
    return None


def _hide_flag_types(params: list[Any]) -> list[Any]:
    """A flag takes no value: Typer's rich help would still print `<bool>` after it."""
    for param in params:
        if getattr(param, "is_flag", False) and hasattr(param, "display_type_rich"):
            param.display_type_rich = _no_type_for_flag
    return params


class QuickGroup(TyperGroup):
    def get_help_option(self, ctx: Any) -> Any:
        return _help_flag_defaults_to_false(super().get_help_option(ctx))

    def get_params(self, ctx: Any) -> list[Any]:
        return _hide_flag_types(super().get_params(ctx))


class QuickCommand(TyperCommand):
    def get_help_option(self, ctx: Any) -> Any:
        return _help_flag_defaults_to_false(super().get_help_option(ctx))

    def get_params(self, ctx: Any) -> list[Any]:
        return _hide_flag_types(_coerce_text_without_pydantic(super().get_params(ctx)))
