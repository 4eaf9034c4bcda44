"""Runners: the sharded embed, index-add and mine jobs, on any executor (``local``, ``processes``,
``dask``). A shard is ``(job, shard id)``; its output is a file named by the job's fingerprint,
so a killed run resumes (``_shards``). Tasks return paths and counts, never large arrays; the
client merges shard files in order, so a job gives the same output on one process or a cluster.

Imports every stage below it (embed, store, mine); nothing below imports it.
"""

from ._shards import ShardTask, finish, finished, run_shards, shard_base

__all__ = ["ShardTask", "finish", "finished", "run_shards", "shard_base"]
