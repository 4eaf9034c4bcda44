"""Job files: read a spec from TOML or JSON (one error naming the file for anything unreadable),
and write one as TOML (groups as tables, None left out: it is the default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import SpecError


def read_config_file(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise SpecError(
            "the config file does not exist" if not p.exists() else "the config is not a file", path=str(p)
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"the config is not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(p)
        ) from None
    except OSError as exc:
        raise SpecError(f"cannot read the config: {exc.strerror or exc}", path=str(p)) from None
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        kind = "JSON" if p.suffix.lower() == ".json" else "TOML (or name the file .json)"
        raise SpecError(f"cannot read the config as {kind}: {exc}", path=str(p)) from None
    if not isinstance(data, dict):
        raise SpecError("a config must be a table / JSON object of options", path=str(p))
    return data


def dump_toml(data: dict[str, Any]) -> str:
    """Nested plain data as TOML: scalars first, then one ``[table]`` per group (None left out)."""
    lines: list[str] = []

    def emit(table: dict[str, Any], path: list[str], array: bool = False) -> None:
        def is_tables(v: Any) -> bool:
            return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(x, dict) for x in v)

        scalars = {
            k: v for k, v in table.items() if not isinstance(v, dict) and not is_tables(v) and v is not None
        }
        groups = {k: v for k, v in table.items() if isinstance(v, dict)}
        arrays = {k: v for k, v in table.items() if is_tables(v)}
        name = ".".join(_toml_key(p) for p in path)
        if array:
            lines.append(f"\n[[{name}]]")
        elif path and (scalars or not (groups or arrays)):
            lines.append(f"\n[{name}]")
        for k, v in scalars.items():
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in groups.items():
            emit(v, [*path, k])
        for k, items in arrays.items():
            for item in items:
                emit(item, [*path, k], array=True)

    emit(data, [])
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "-_" for c in k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return (
            repr(v)
            if not isinstance(v, float) or v == v and v not in (float("inf"), float("-inf"))
            else ("nan" if v != v else ("inf" if v > 0 else "-inf"))
        )
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


__all__ = ["dump_toml", "read_config_file"]
