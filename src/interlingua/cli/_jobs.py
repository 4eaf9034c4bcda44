"""Flags into specs, declared once: every job command parses its flags into the stage's spec (with
``--config FILE`` and ``--set a.b=value`` on top), prints it with ``--print-config``, or runs it.

Precedence, lowest first: the spec's defaults, the config file, the flags given, ``--set``.
A flag's help and default come from the spec field it fills, so they cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

from .._spec import Spec, read_config_file, set_dotted
from ..errors import SpecError

S = TypeVar("S", bound=Spec)

ConfigOpt = typer.Option(
    None, "--config", "-c", help="Job file (TOML or JSON, e.g. from --print-config); flags override it."
)
SetOpt = typer.Option(
    None, "--set", help="Override any job option: --set knn.k=8 (repeatable; see --print-config)."
)
PrintConfigOpt = typer.Option(
    False, "--print-config", help="Print the filled job as TOML and exit (rerun it with --config)."
)


def spec_option(
    cls: type[Spec], dotted: str, *names: str, help: str | None = None, split: bool = True, **kwargs: Any
) -> Any:
    """A typer option filling ``dotted`` of ``cls``, its help and default taken from the spec; a
    :func:`job_command` puts what it is given into the job (None: not given)."""
    text, default = cls.field_help(dotted)
    shown = "" if default in (None, (), "") else f" [default: {_show(default)}]"
    option = typer.Option(
        None, *names, help=(help or text[:1].upper() + text[1:]) + shown, show_default=False, **kwargs
    )
    option.spec_path = dotted
    option.spec_split = split  # a repeatable option also takes comma-separated values
    return option


def spec_argument(cls: type[Spec], dotted: str, help: str) -> Any:
    """A positional argument filling ``dotted`` (optional: a job file can give it instead)."""
    argument = typer.Argument(None, help=help, show_default=False)
    argument.spec_path = dotted
    argument.spec_split = False
    return argument


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def build_job(cls: type[S], config: Path | None, sets: list[str] | None, values: dict[str, Any]) -> S:
    """The spec from a config file, the flags that were given (None: not given) and ``--set``."""
    data: dict[str, Any] = read_config_file(config) if config is not None else {}
    given = {k: _plain(v) for k, v in values.items() if v is not None and v != [] and v != ()}
    for key, value in given.items():
        set_dotted(data, key, value, where=" in the config")
    data = cls.apply_overrides(data, sets or [])
    missing = [f for f in _required(cls) if f not in data]
    if missing:
        raise SpecError(f"Give {' and '.join(m.upper() for m in missing)} (or a job file with --config).")
    try:
        return cls.from_dict(data)
    except SpecError as exc:
        raise SpecError(f"{config}: {exc}" if config is not None else str(exc)) from None


def _required(cls: type[Spec]) -> list[str]:
    import dataclasses

    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def print_config(job: Spec) -> None:
    sys.stdout.write(job.to_toml())


def comma_list(items: list[str] | None) -> list[str] | None:
    """Repeatable options that also take comma-separated values (``--lang de,fr --lang ja``)."""
    if not items:
        return None
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


@dataclass(frozen=True)
class JobFlags:
    """The flags every job command has, and the reading flags of those that read a file."""

    config: Path | None
    sets: list[str] | None
    show: bool
    quiet: bool
    as_json: bool
    #: what the spec options and arguments were given, by dotted field
    values: dict[str, Any]

    def run(
        self, cls: type[S], run: Callable[..., Any], extra: dict[str, Any] | None = None
    ) -> tuple[S, Any] | None:
        """Build the job (flags over ``--config``, ``--set`` over both; ``extra`` for flags that are
        not one field); print it with ``--print-config`` (None is returned), or run it while drawing
        its progress."""
        from ._progress import Drawer

        job = build_job(cls, self.config, self.sets, {**self.values, **(extra or {})})
        if self.show:
            print_config(job)
            return None
        with Drawer(quiet=self.quiet or self.as_json) as drawer:
            return job, run(job, progress=drawer)


#: reading flags: (parameter, dotted field under the input group, flag names, converter)
_READING = (
    ("input_format", "format", ("--input-format",), None),
    ("text_field", "text_field", ("--text-field",), None),
    ("id_field", "id_field", ("--id-field",), None),
    ("lang_field", "lang_field", ("--lang-field",), None),
    ("columns", "columns", ("--columns",), "list"),
    ("on_invalid", "on_invalid", ("--on-invalid",), None),
)


def job_command(
    cls: type[Spec], *, reading: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the flags every job command has (``--config``, ``--set``, ``--print-config``,
    ``-q``, ``--json``) and, with ``reading`` (the spec's input group), the reading flags; the
    command receives them as one ``flags`` argument (a :class:`JobFlags`)."""
    from ._common import JsonOpt, QuietOpt

    K = inspect.Parameter.KEYWORD_ONLY
    common = [
        ("config", Path, ConfigOpt),
        ("set_", list[str], SetOpt),
        ("show", bool, PrintConfigOpt),
        ("quiet", bool, QuietOpt),
        ("as_json", bool, JsonOpt),
    ]
    read = []
    if reading is not None:
        for name, field, names, kind in _READING:
            read.append(
                (name, list[str] if kind == "list" else str, spec_option(cls, f"{reading}.{field}", *names))
            )

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "flags"]
        added = [inspect.Parameter(n, K, default=d, annotation=t) for n, t, d in read + common]
        fills = {p.name: p for p in own + added if hasattr(p.default, "spec_path")}

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            values = {}
            for name, p in fills.items():
                value = kwargs.pop(name)
                if p.annotation == list[str] and value and p.default.spec_split:
                    value = comma_list(value)
                values[p.default.spec_path] = value
            flags = JobFlags(
                kwargs.pop("config"),
                kwargs.pop("set_"),
                kwargs.pop("show"),
                kwargs.pop("quiet"),
                kwargs.pop("as_json"),
                values,
            )
            return fn(**kwargs, flags=flags)

        command.__signature__ = sig.replace(parameters=own + added)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in own + added}
        return command

    return deco


__all__ = [
    "ConfigOpt",
    "JobFlags",
    "PrintConfigOpt",
    "SetOpt",
    "build_job",
    "comma_list",
    "job_command",
    "print_config",
    "spec_argument",
    "spec_option",
]
