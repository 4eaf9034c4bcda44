"""Language neutrality of the vector space, on parallel sentences (SIB-200 / FLORES by default):

- how well a logistic regression predicts the language from a vector (trained on one split,
  tested on another; chance is 1 / number of languages; lower means more neutral), and
- how cross-lingual retrieval changes when each language's mean vector (estimated on the
  training split, never the test split) is subtracted and the vectors renormalized
  (Libovický et al. 2020, "On the Language Neutrality of Pre-trained Multilingual Representations").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._validation import check_choice
from ...encoders import l2_normalize
from ...errors import InputError
from .._bitext import SCORINGS, bitext_retrieval
from .._embed import embed_texts
from .._parallel import parallel_texts
from .._task import TaskResult, register_task
from ..readers import lang_tag
from .sib200 import MATRIX_DEFAULT


@register_task(
    "neutrality",
    description="Language ID accuracy from vectors; retrieval before/after subtracting language means.",
    default_data="sib200",
)
def neutrality(
    encoder,
    data: Path,
    *,
    languages=None,
    fit_split: str = "train",
    test_split: str = "test",
    fit_limit: int = 200,
    scoring: str = "cosine",
    role: str = "query",
) -> TaskResult:
    from sklearn.linear_model import LogisticRegression

    check_choice(scoring, SCORINGS, "scoring")
    if languages is None:
        from ..readers import sib200_languages

        try:
            languages = [c for c in MATRIX_DEFAULT if c in sib200_languages(data)] or None
        except InputError:  # not a SIB-200 folder: all languages of the dataset
            languages = None
    fit = parallel_texts(data, languages, split=fit_split, limit=fit_limit)
    test = parallel_texts(data, languages, split=test_split)
    codes = list(test)
    keys = sorted(set.intersection(*(set(test[c]) for c in codes)))
    fit_texts = [(c, t) for c in codes for t in fit[c].values()]
    test_texts = [(c, test[c][k]) for c in codes for k in keys]
    vecs = embed_texts(
        encoder,
        [t for _, t in fit_texts] + [t for _, t in test_texts],
        role,
        desc=f"neutrality {encoder.name}",
        langs=[lang_tag(c) for c, _ in fit_texts] + [lang_tag(c) for c, _ in test_texts],
    )
    xf, xt = vecs[: len(fit_texts)], vecs[len(fit_texts) :]
    yf, yt = np.array([c for c, _ in fit_texts]), np.array([c for c, _ in test_texts])
    clf = LogisticRegression(max_iter=2000).fit(xf, yf)
    pred = clf.predict(xt)
    means = {c: xf[yf == c].mean(axis=0) for c in codes}
    n = len(keys)
    raw = {c: xt[i * n : (i + 1) * n] for i, c in enumerate(codes)}
    centered = {c: l2_normalize(raw[c] - means[c]) for c in codes}

    def matrix(vs):
        return [
            [bitext_retrieval(vs[a], vs[b], scoring)["acc"] if a != b else float("nan") for b in codes]
            for a in codes
        ]

    before, after = matrix(raw), matrix(centered)
    per_language = {}
    for i, c in enumerate(codes):
        b = float(np.nanmean(before[i])) if len(codes) > 1 else float("nan")
        a = float(np.nanmean(after[i])) if len(codes) > 1 else float("nan")
        per_language[c] = {
            "langid_acc": 100 * float(np.mean(pred[yt == c] == c)),
            "retrieval_acc": b,
            "retrieval_acc_centered": a,
            "retrieval_delta": a - b,
        }
    delta = [[after[i][j] - before[i][j] for j in range(len(codes))] for i in range(len(codes))]
    metrics = {
        "langid_acc": 100 * float(np.mean(pred == yt)),
        "langid_chance": 100 / len(codes),
        "retrieval_acc": float(np.nanmean(before)),
        "retrieval_acc_centered": float(np.nanmean(after)),
        "n_languages": float(len(codes)),
    }
    metrics["retrieval_delta"] = metrics["retrieval_acc_centered"] - metrics["retrieval_acc"]
    lab = {"row_label": "language", "col_label": "other language"}
    return TaskResult(
        task="neutrality",
        primary_metric="langid_acc",
        metrics=metrics,
        per_language=per_language,
        matrices={
            f"retrieval accuracy ({scoring}, both ways)": {
                "rows": codes,
                "cols": codes,
                "values": before,
                **lab,
            },
            "retrieval change after centering": {"rows": codes, "cols": codes, "values": delta, **lab},
        },
        details={"unit": "percent", "fit_sentences": len(fit_texts), "test_sentences": len(test_texts)},
        config={
            "languages": codes,
            "fit_split": fit_split,
            "test_split": test_split,
            "fit_limit": fit_limit,
            "scoring": scoring,
            "role": role,
        },
    )
