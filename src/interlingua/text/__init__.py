"""The text stage: normalization, sentence splitting, script and language detection.

The lowest stage of the pipeline: it imports nothing from the other stages. Heavy parts (the
language ID models, the script table) load on first use, not on import.
"""

from ._langcodes import canonical_lang, lang_name, same_language
from ._langid import DEFAULT_LANGID, LANGID_BACKENDS, LangGuess, detect_language, langid_info, resolve_langid
from ._normalize import decode_utf8, normalize_text
from ._script import detect_script, script_counts
from ._segment import SEGMENTERS, segment_words
from ._split import THAI_MIN_CHARS, split_sentence_spans, split_sentences

__all__ = [
    "DEFAULT_LANGID",
    "LANGID_BACKENDS",
    "SEGMENTERS",
    "THAI_MIN_CHARS",
    "LangGuess",
    "canonical_lang",
    "decode_utf8",
    "detect_language",
    "detect_script",
    "lang_name",
    "langid_info",
    "resolve_langid",
    "normalize_text",
    "same_language",
    "script_counts",
    "segment_words",
    "split_sentence_spans",
    "split_sentences",
]
