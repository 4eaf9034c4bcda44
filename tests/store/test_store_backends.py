"""One contract for every index backend (txtai's habit): the dense faiss variants and the
tantivy lexical index all add, find, remove and persist by catalog key the same way."""

from __future__ import annotations

import numpy as np
import pytest

from interlingua.store import DenseBackend, FaissDense, LexicalBackend, TantivyLexical


def _unit(n, d=32, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class DenseAdapter:
    """Dense backend seen through the contract: document i is its vector."""

    def __init__(self, factory, tmp_path):
        self.b = FaissDense(32, factory=factory)
        self.vecs = _unit(200)
        self.tmp_path = tmp_path

    def add(self, keys):
        self.b.add(np.array(keys), self.vecs[keys])

    def query(self, key, k=5, allowed=None):
        scores, keys = self.b.search(self.vecs[key], k, None if allowed is None else np.array(allowed))
        return [int(x) for x in keys[0] if x >= 0]

    def reopen(self):
        path = self.tmp_path / "d.faiss"
        self.b.save(path)
        self.b = FaissDense.load(path, 32, factory=self.b.factory)


class LexicalAdapter:
    """Lexical backend seen through the contract: document i holds the word "w{i}"."""

    def __init__(self, tmp_path):
        self.folder = tmp_path / "lex"
        self.b = TantivyLexical(self.folder, writable=True)

    def add(self, keys):
        self.b.add(np.array(keys), [[f"w{k}", "common"] for k in keys])

    def query(self, key, k=5, allowed=None):
        _, keys = self.b.search([f"w{key}"], k, None if allowed is None else np.array(allowed))
        return [int(x) for x in keys]

    def reopen(self):
        self.b.close()
        self.b = TantivyLexical(self.folder, writable=True)


# faiss factory strings (the dense index of a collection is made from one) and the lexical index
PARAMS = ["Flat", "SQfp16", "SQ8", "HNSW16,Flat", "HNSW16,SQ8", "lexical"]


@pytest.fixture(params=PARAMS)
def backend(request, tmp_path):
    if request.param == "lexical":
        return LexicalAdapter(tmp_path)
    return DenseAdapter(request.param, tmp_path)


def test_backend_satisfies_protocol(backend):
    assert isinstance(backend.b, (DenseBackend, LexicalBackend))


def test_finds_added_document_first(backend):
    backend.add(list(range(100)))
    backend.b.commit() if hasattr(backend.b, "commit") else None
    assert len(backend.b) == 100
    for key in (0, 17, 99):
        assert backend.query(key)[0] == key


def test_removed_document_is_never_found(backend):
    backend.add(list(range(50)))
    backend.b.remove(np.array([7, 8]))
    assert len(backend.b) == 48
    assert 7 not in backend.query(7, k=50)
    assert 8 not in backend.query(8, k=50)


def test_allowed_keys_restrict_the_search(backend):
    backend.add(list(range(60)))
    found = backend.query(3, k=10, allowed=[10, 11, 3])
    assert set(found) <= {10, 11, 3} and found and found[0] == 3
    assert 3 not in backend.query(3, k=10, allowed=[20, 21])


def test_persists_across_reopen(backend):
    backend.add(list(range(30)))
    backend.b.remove(np.array([5]))
    backend.reopen()
    assert len(backend.b) == 29
    assert backend.query(12)[0] == 12
    assert 5 not in backend.query(5, k=30)
    assert sorted(int(x) for x in backend.b.keys()) == [k for k in range(30) if k != 5]


def test_lexical_readding_a_key_replaces_it(tmp_path):
    lex = TantivyLexical(tmp_path / "lex", writable=True)
    lex.add(np.array([1]), [["alpha"]])
    lex.add(np.array([1]), [["beta"]])  # a replay after a crash re-adds: must stay one document
    assert len(lex) == 1
    assert lex.search(["alpha"], 5)[1].tolist() == []
    assert lex.search(["beta"], 5)[1].tolist() == [1]


def test_lexical_query_words_are_never_syntax(tmp_path):
    lex = TantivyLexical(tmp_path / "lex", writable=True)
    lex.add(np.array([1, 2]), [["a:b", "(x)"], ["AND", "*"]])
    assert lex.search(["a:b"], 5)[1].tolist() == [1]
    assert lex.search(["*", "AND"], 5)[1].tolist() == [2]
