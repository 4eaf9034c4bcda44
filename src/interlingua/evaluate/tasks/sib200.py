"""SIB-200: topic classification trained on one language (English) and tested on every
language, with logistic regression and k-NN on the vectors; and many-to-many retrieval of the
same FLORES sentence across chosen languages (a matrix of accuracies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._validation import check_choice, check_int
from ...errors import InputError
from .._bitext import SCORINGS, bitext_retrieval
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import lang_tag, read_sib200, select_languages, sib200_languages

#: languages of the retrieval matrix when there are more than 12 and none are chosen
MATRIX_DEFAULT = (
    "eng_Latn",
    "deu_Latn",
    "fra_Latn",
    "spa_Latn",
    "rus_Cyrl",
    "arb_Arab",
    "hin_Deva",
    "zho_Hans",
    "jpn_Jpan",
    "kor_Hang",
    "swh_Latn",
    "yor_Latn",
)
#: inverse regularization strengths tried for logistic regression (on the dev split)
C_GRID = (0.1, 1.0, 10.0, 100.0)


@register_task(
    "sib200",
    description="SIB-200: English-trained topic classification on every language; many-to-many retrieval matrix.",
    default_data="sib200",
)
def sib200(
    encoder,
    data: Path,
    *,
    languages=None,
    train_language: str = "eng_Latn",
    matrix_languages=None,
    scoring: str = "cosine",
    knn_k: int = 5,
    logreg_c=None,
    role: str = "query",
) -> TaskResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    check_choice(scoring, SCORINGS, "scoring")
    check_int(knn_k, "knn_k", low=1)
    available = sib200_languages(data)
    train_code = select_languages(available, [train_language], "SIB-200", path=Path(data))[0]
    codes = select_languages(available, languages, "SIB-200", path=Path(data))
    if matrix_languages is None:
        matrix = codes if len(codes) <= 12 else [c for c in MATRIX_DEFAULT if c in codes]
    else:
        matrix = select_languages(codes, matrix_languages, "chosen SIB-200 languages")
    sets = read_sib200(data, codes, splits=("test",))
    own = read_sib200(data, [train_code], splits=("train", "dev"))[train_code]
    train, dev = own["train"], own["dev"]
    ids = [e.index_id for e in sets[codes[0]]["test"]]
    for c in codes:
        if [e.index_id for e in sets[c]["test"]] != ids:
            raise InputError(
                f"The test split of {c} is not aligned (index_id order) with {codes[0]}'s.", path=str(data)
            )
    texts = [e.text for e in train] + [e.text for c in codes for e in sets[c]["test"]] + [e.text for e in dev]
    own_tag = lang_tag(train_code)
    langs = (
        [own_tag] * len(train) + [lang_tag(c) for c in codes for _ in sets[c]["test"]] + [own_tag] * len(dev)
    )
    vecs = embed_texts(encoder, texts, role, desc=f"sib200 {encoder.name}", langs=langs)
    x_train, y_train = vecs[: len(train)], [e.category for e in train]
    n = len(ids)
    test = {c: vecs[len(train) + i * n : len(train) + (i + 1) * n] for i, c in enumerate(codes)}
    labels = [e.category for e in sets[codes[0]]["test"]]
    x_dev, y_dev = vecs[len(vecs) - len(dev) :], np.array([e.category for e in dev])
    grid = C_GRID if logreg_c is None else [float(logreg_c)]
    dev_acc = (
        {
            c: float(
                np.mean(LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train).predict(x_dev) == y_dev)
            )
            for c in grid
        }
        if len(grid) > 1
        else {grid[0]: None}
    )
    best_c = max(
        grid, key=lambda c: dev_acc[c] or 0.0
    )  # chosen on the training language's dev split, never on test
    logreg = LogisticRegression(C=best_c, max_iter=2000).fit(x_train, y_train)
    knn = KNeighborsClassifier(n_neighbors=knn_k).fit(x_train, y_train)
    per_language = {
        c: {
            "acc_logreg": 100 * float(np.mean(logreg.predict(test[c]) == np.array(labels))),
            "acc_knn": 100 * float(np.mean(knn.predict(test[c]) == np.array(labels))),
        }
        for c in codes
    }
    values = [[bitext_retrieval(test[a], test[b], scoring)["acc_src2tgt"] for b in matrix] for a in matrix]
    off = [values[i][j] for i in range(len(matrix)) for j in range(len(matrix)) if i != j]
    metrics = {
        "acc_logreg": float(np.mean([r["acc_logreg"] for r in per_language.values()])),
        "acc_knn": float(np.mean([r["acc_knn"] for r in per_language.values()])),
        f"retrieval_acc_{scoring}": float(np.mean(off)) if off else float("nan"),
        "n_languages": float(len(codes)),
    }
    return TaskResult(
        task="sib200",
        primary_metric="acc_logreg",
        metrics=metrics,
        per_language=per_language,
        matrices={
            f"retrieval accuracy ({scoring}), row -> column": {
                "rows": matrix,
                "cols": matrix,
                "values": values,
                "row_label": "query language",
                "col_label": "target language",
            }
        },
        details={
            "logreg_c": best_c,
            "dev_accuracy_by_c": {str(c): a for c, a in dev_acc.items()},
            "train_language": train_code,
            "train_size": len(train),
            "test_size": n,
            "unit": "percent",
        },
        config={
            "languages": codes,
            "matrix_languages": matrix,
            "scoring": scoring,
            "knn_k": knn_k,
            "role": role,
        },
    )
