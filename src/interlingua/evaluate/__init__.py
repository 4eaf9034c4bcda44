"""Evaluate: dataset readers, metrics, tasks and reports."""

from ._task import TaskResult, TaskSpec, get_task, register_task, task_specs

__all__ = ["TaskResult", "TaskSpec", "get_task", "register_task", "task_specs"]
