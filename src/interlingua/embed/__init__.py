"""The embed stage: a file of texts in any language -> a file of vectors, through a space.

``run(EmbedJob(source="in.tsv", output="out.npy"))``, or ``embed_file("in.tsv", "out.npy")``.
"""

from ._job import MINING_ROLE, EmbedJob, EmbedReport, embed_file, run

__all__ = ["MINING_ROLE", "EmbedJob", "EmbedReport", "embed_file", "run"]
