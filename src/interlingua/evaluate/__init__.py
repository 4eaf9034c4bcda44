"""Evaluate: dataset readers, metrics, tasks, runs and reports.

``run(EvalRun(task="tatoeba", data=...))`` gives a JSON-ready record; ``save_run``
writes it; ``write_report([...records], "report.html")`` turns records into an HTML page
with PNG figures.
"""

from ._bitext import bitext_retrieval, bitext_scores
from ._embed import PrecomputedEncoder, embed_texts, embedding_settings
from ._run import EvalRun, RunConfig, load_config, load_run, run, run_eval, save_run
from ._task import TASKS, TaskResult, TaskSpec, get_task, register_task, task_specs
from .report import write_report

__all__ = [
    "TASKS",
    "EvalRun",
    "PrecomputedEncoder",
    "RunConfig",
    "TaskResult",
    "TaskSpec",
    "bitext_retrieval",
    "bitext_scores",
    "embed_texts",
    "embedding_settings",
    "get_task",
    "load_config",
    "load_run",
    "register_task",
    "run",
    "run_eval",
    "save_run",
    "task_specs",
    "write_report",
]
