"""The evaluator contract: every task is a function registered by name that takes an encoder
and a data path and returns a :class:`TaskResult` (a dict of metrics with a declared primary
metric, in the manner of sentence-transformers' evaluators). Reports read only these results.

Task modules live in ``interlingua/evaluate/tasks/`` and register themselves on import; the
package imports every module there, so adding a task is adding a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .._registry import Registry


@dataclass
class TaskResult:
    """What one task measured. ``metrics`` holds aggregates (including ``primary_metric``);
    ``per_language`` holds per-language (or per-pair, e.g. ``"de-en"``) metric dicts for bar
    charts; ``matrices`` holds named language-by-language tables for heatmaps."""

    task: str
    primary_metric: str
    metrics: dict[str, float]
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    # name -> {"rows", "cols", "values"} and optionally "row_label", "col_label" (axis titles)
    matrices: dict[str, dict[str, Any]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TaskFn(Protocol):
    def __call__(self, encoder: Any, data: Path, **options: Any) -> TaskResult: ...


@dataclass(frozen=True)
class TaskSpec:
    name: str
    run: TaskFn
    description: str
    default_data: str  # folder name under a data root, e.g. "tatoeba"


def _load_tasks() -> None:
    from . import tasks  # noqa: F401  (imports every task module)


TASKS: Registry[TaskSpec] = Registry("tasks", kind="task", loader=_load_tasks)


def register_task(name: str, *, description: str, default_data: str = "") -> Callable[[TaskFn], TaskFn]:
    def deco(fn: TaskFn) -> TaskFn:
        TASKS.register(name, TaskSpec(name, fn, description, default_data), description=description)
        return fn

    return deco


def get_task(name: str) -> TaskSpec:
    return TASKS.get(name)


def task_specs() -> list[TaskSpec]:
    return [e.obj for e in TASKS.entries()]
