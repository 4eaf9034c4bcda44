"""Dataset readers: each takes a path (and languages, matched through ``canonical_lang``) and
returns plain records. A folder in the wrong layout names what it expected; a language not in
the data lists those that are."""

from ._bucc import BuccSet, bucc_pairs, read_bucc
from ._common import lang_tag, select_languages
from ._sib200 import SibExample, read_sib200, sib200_languages
from ._stsb import STSSet, read_stsb, stsb_languages
from ._tatoeba import BitextSet, read_tatoeba, tatoeba_languages
from ._trec import BeirSet, read_beir, read_qrels, read_run, write_run
from ._udhr import read_udhr, udhr_index
from ._xquad import QASet, read_xquad, xquad_languages

__all__ = [
    "BeirSet",
    "BitextSet",
    "BuccSet",
    "QASet",
    "STSSet",
    "SibExample",
    "bucc_pairs",
    "lang_tag",
    "read_beir",
    "read_bucc",
    "read_qrels",
    "read_run",
    "read_sib200",
    "read_stsb",
    "read_tatoeba",
    "read_udhr",
    "read_xquad",
    "select_languages",
    "sib200_languages",
    "stsb_languages",
    "tatoeba_languages",
    "udhr_index",
    "write_run",
    "xquad_languages",
]
