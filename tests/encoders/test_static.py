"""e5-static: a real student distilled from the real teacher, on a small vocabulary (seconds)."""

import json
from pathlib import Path

import numpy as np
import pytest

from interlingua.encoders import StaticEncoder, StaticSpec, build_static, get_encoder, load_model
from interlingua.errors import InputError, ModelNotFoundError, SpecError
from interlingua.progress import ProgressEvent

# Four meanings, each in English (the pivot) and three other languages; written for these tests.
MEANINGS = [
    [
        "The cat sleeps on the warm windowsill.",
        "Die Katze schläft auf der warmen Fensterbank.",
        "Le chat dort sur le rebord chaud de la fenêtre.",
        "El gato duerme en el alféizar caliente.",
    ],
    [
        "The train to Berlin is twenty minutes late.",
        "Der Zug nach Berlin hat zwanzig Minuten Verspätung.",
        "Le train pour Berlin a vingt minutes de retard.",
        "El tren a Berlín lleva veinte minutos de retraso.",
    ],
    [
        "We bought fresh bread at the market.",
        "Wir haben auf dem Markt frisches Brot gekauft.",
        "Nous avons acheté du pain frais au marché.",
        "Compramos pan fresco en el mercado.",
    ],
    [
        "It will rain tomorrow, take an umbrella.",
        "Morgen wird es regnen, nimm einen Regenschirm mit.",
        "Il pleuvra demain, prends un parapluie.",
        "Mañana lloverá, lleva un paraguas.",
    ],
]
TEXTS = [t for group in MEANINGS for t in group]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder of the module's own, with the teacher's ONNX graph linked in (built once
    in the user's cache, like the other e5 tests) so that no test rebuilds it."""
    from interlingua.encoders._e5 import bundled_model_path, onnx_model_path

    graph = onnx_model_path(bundled_model_path(), "fp32")
    root = tmp_path_factory.mktemp("cache")
    (root / "models").mkdir()
    (root / "models" / graph.parent.name).symlink_to(graph.parent)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERLINGUA_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    vocabulary = folder / "vocabulary.txt"
    vocabulary.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{t}\t{group[0]}\n" for group in MEANINGS for t in group[1:]), encoding="utf-8")
    return vocabulary, pairs


@pytest.fixture(scope="module")
def student(cache, files):
    return build_static(StaticSpec(dim=24, vocabulary=str(files[0]), workers=1))


@pytest.fixture(scope="module")
def refined(cache, files, student):
    spec = StaticSpec(dim=24, vocabulary=str(files[0]), refine=str(files[1]), ridge=0.01, workers=1)
    return build_static(spec)


def test_student_vectors_are_normalized_deterministic_and_of_the_dim(student):
    enc = StaticEncoder(student)
    v = enc.encode(TEXTS)
    assert v.shape == (len(TEXTS), 24) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(v, StaticEncoder(student).encode(TEXTS))
    assert enc.encode(TEXTS[0]).shape == (24,)
    # one batch or many, the same vectors (no length sorting, no state between batches)
    np.testing.assert_allclose(enc.encode(TEXTS, batch_size=3), v, atol=1e-6)
    assert enc.info.max_tokens is None and enc.dim == 24
    raw, stats = enc.encode_counted(TEXTS[:2], normalize=False)
    assert stats.texts == 2 and stats.tokens == sum(enc.count_tokens(TEXTS[:2])) and stats.truncated == 0
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)


def test_a_text_is_the_mean_of_its_pieces_without_prefix_or_specials(student):
    enc = StaticEncoder(student)
    text = TEXTS[1]
    states = enc.token_states([text])[0]
    assert [text[a:b] for a, b in states.offsets] == [t.text for t in enc.tokens([text])[0]]
    assert "".join(states.tokens).replace("▁", " ").strip() == text
    raw, _ = enc.encode_counted([text], normalize=False)
    np.testing.assert_allclose(raw[0], states.states.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert enc.tokens([text], role="query") == enc.tokens([text])  # no role prefix
    # a text with no pieces is a zero vector, not NaN
    assert enc.count_tokens([""]) == [0] and np.all(enc.encode([""]) == 0)


def test_meta_names_the_teacher_and_the_recipe(student, files):
    meta = json.loads((student / "meta.json").read_text())
    assert meta["teacher"]["name"] == "e5-small" and meta["teacher"]["content_hash"]
    assert meta["recipe"]["dim"] == 24 and meta["recipe"]["sif"] == 1e-4
    assert meta["inputs"]["vocabulary"]["path"] == str(files[0].resolve())
    assert StaticEncoder(student).identity.startswith(f"e5-static|{meta['content_hash']}")


def test_a_second_build_is_a_cache_hit_and_a_forced_one_is_the_same(student, files):
    events = []
    spec = StaticSpec(dim=24, vocabulary=str(files[0]), workers=1)
    before = (student / "vectors.npy").stat().st_mtime_ns
    assert build_static(spec, events.append) == student
    assert any(e.kind == "note" and "cache hit" in e.message for e in events)
    assert (student / "vectors.npy").stat().st_mtime_ns == before
    again = build_static(spec, force=True)
    assert again == student
    assert (
        json.loads((student / "meta.json").read_text())["content_hash"]
        == StaticEncoder(student).meta["content_hash"]
    )
    # workers change how, not what: the same folder
    assert build_static(spec.replace(workers=2)) == student


def test_refinement_brings_translations_closer_than_unrelated_sentences(student, refined):
    def margins(folder):
        v = StaticEncoder(folder).encode(TEXTS)
        sims = v @ v.T
        same = np.repeat(np.arange(len(MEANINGS)), len(MEANINGS[0]))
        related = sims[same[:, None] == same[None, :]].reshape(len(TEXTS), -1)
        unrelated = sims[same[:, None] != same[None, :]].reshape(len(TEXTS), -1)
        return np.sort(related, axis=1)[:, 0] - unrelated.max(axis=1)  # worst translation - best other

    assert np.all(margins(refined) > 0)
    assert margins(refined).mean() > margins(student).mean()
    meta = json.loads((refined / "meta.json").read_text())
    assert meta["refinement"]["targets"] == len(MEANINGS) and meta["refinement"]["pairs"] == 12
    assert meta["refinement"]["fit_cosine_after"] > meta["refinement"]["fit_cosine_map"]
    assert StaticEncoder(refined).dim == 24  # the targets are reduced to the student's width


def test_get_encoder_loads_the_student_built_last(student, refined):
    enc = get_encoder("e5-static")
    assert enc.identity == StaticEncoder(refined).identity
    assert enc.origin == ("e5-static", {})
    build_static(
        StaticSpec(
            dim=24,
            vocabulary=str(json.loads((student / "meta.json").read_text())["inputs"]["vocabulary"]["path"]),
            workers=1,
        )
    )
    assert get_encoder("e5-static").identity == StaticEncoder(student).identity


def test_a_student_folder_is_a_model_path(student):
    from interlingua.neutral import Space

    enc = get_encoder(str(student))
    assert isinstance(enc, StaticEncoder) and enc.name == str(student)
    assert load_model(str(student)).identity == enc.identity
    v = Space.of(enc).encode(TEXTS[:3])
    np.testing.assert_allclose(v, StaticEncoder(student).encode(TEXTS[:3]), atol=1e-6)
    assert Space.of(str(student)).encode(TEXTS[:3]).shape == (3, 24)


def test_output_folder_is_refused_when_present_unless_forced(cache, files, tmp_path):
    out = tmp_path / "student"
    spec = StaticSpec(dim=8, vocabulary=str(files[0]), workers=1)
    assert build_static(spec, output=out) == out
    with pytest.raises(InputError, match="already exists"):
        build_static(spec, output=out)
    assert build_static(spec, output=out, force=True) == out
    assert StaticEncoder(out).dim == 8


def test_bad_inputs_are_one_clear_error(cache, files, tmp_path):
    vocabulary = str(files[0])
    with pytest.raises(InputError, match="vocabulary file does not exist"):
        build_static(StaticSpec(vocabulary=str(tmp_path / "missing.txt")))
    empty = tmp_path / "empty.tsv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.tsv: the refinement file is empty"):
        build_static(StaticSpec(vocabulary=vocabulary, refine=str(empty)))
    no_text = tmp_path / "no_text.tsv"
    no_text.write_text("Hallo\tHello\n\tHello\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no_text\.tsv, line 2: the text is empty"):
        build_static(StaticSpec(vocabulary=vocabulary, refine=str(no_text)))
    half = tmp_path / "half.tsv"
    half.write_text("Hallo\t\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"half\.tsv, line 1: the translation after the tab is empty"):
        build_static(StaticSpec(vocabulary=vocabulary, refine=str(half)))
    missing = str(tmp_path / "none.txt")
    with pytest.raises(InputError, match=r"none\.txt: the whitening file does not exist"):
        build_static(StaticSpec(vocabulary=vocabulary, whiten_on=missing))
    with pytest.raises(InputError, match="at most the teacher's 384"):
        build_static(StaticSpec(dim=512, vocabulary=vocabulary))
    with pytest.raises(InputError, match="number of pieces kept"):
        build_static(StaticSpec(dim=300, vocabulary=vocabulary))
    with pytest.raises(InputError, match="'sif' parameter of build_static"):
        build_static(StaticSpec(sif=0.0))
    with pytest.raises(SpecError, match="unknown option"):
        StaticSpec.from_dict({"dims": 8})


def test_a_folder_that_is_not_a_student_is_refused(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"format": "interlingua-static", "version": 0}))
    with pytest.raises(ModelNotFoundError, match="rebuild it"):
        StaticEncoder(tmp_path)
    with pytest.raises(ModelNotFoundError, match="not a static student"):
        StaticEncoder(tmp_path / "nothing")


def test_progress_reports_the_teacher_pass(cache, files):
    events: list[ProgressEvent] = []
    build_static(StaticSpec(dim=12, vocabulary=str(files[0]), workers=1), events.append)
    # the teacher's piece vectors are cached apart: a new recipe on the same pieces reuses them
    assert any(e.kind == "note" and "from the cache" in e.message for e in events)


def test_whitening_on_text_makes_those_sentences_white(cache, files, tmp_path):
    lines = tmp_path / "white.txt"
    lines.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    spec = StaticSpec(
        dim=8, vocabulary=str(files[0]), whiten_on=str(lines), whiten_eps=0.0, center_scripts=False, workers=1
    )
    folder = build_static(spec)
    raw, _ = StaticEncoder(folder).encode_counted(TEXTS, normalize=False)
    np.testing.assert_allclose(raw.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.cov(raw.T), np.eye(8), atol=1e-3)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["whitening"] == {"statistics": "text", "texts": len(TEXTS), "eps": 0.0}
    assert meta["inputs"]["whiten_on"]["path"] == str(lines.resolve())
    # the cache key holds the file's content: other lines, another student
    lines.write_text("\n".join(TEXTS[::-1][:12]) + "\n", encoding="utf-8")
    assert build_static(spec) != folder


def test_unigram_whitening_is_white_under_the_tokenizer_probabilities(cache, files):
    from interlingua.encoders._e5 import bundled_model_path
    from interlingua.encoders._e5file import read_e5_file

    spec = StaticSpec(dim=8, vocabulary=str(files[0]), whiten_eps=0.0, center_scripts=False, workers=1)
    folder = build_static(spec)
    f = read_e5_file(bundled_model_path())
    table = np.load(folder / "vectors.npy").astype(np.float64)
    pieces = np.load(folder / "pieces.npy")
    p = np.exp(f.scores[pieces].astype(np.float64))
    p[np.isin(pieces, [f.bos, f.eos, f.pad, f.unk])] = 0.0
    p /= p.sum()
    mu = p @ table
    np.testing.assert_allclose(mu, 0.0, atol=1e-5 * np.abs(table).max())
    cov = ((table - mu) * p[:, None]).T @ (table - mu)
    values = np.linalg.eigvalsh(cov)
    assert values.max() / values.min() < 1.001
    assert json.loads((folder / "meta.json").read_text())["whitening"]["statistics"] == "unigram"


def test_without_whitening_the_table_is_the_sif_weighted_pca(cache, files, student):
    plain = build_static(
        StaticSpec(dim=24, vocabulary=str(files[0]), whiten=False, center_scripts=False, workers=1)
    )
    assert plain != student
    white = build_static(StaticSpec(dim=24, vocabulary=str(files[0]), center_scripts=False, workers=1))
    meta = json.loads((plain / "meta.json").read_text())
    assert meta["whitening"] == {} and "whitened" not in meta["recipe_summary"]
    # the whitened student is an affine map of this one: the same space up to (x - mu) W
    a = np.load(plain / "vectors.npy").astype(np.float64)
    b = np.load(white / "vectors.npy").astype(np.float64)
    design = np.hstack([a, np.ones((len(a), 1))])
    fit, *_ = np.linalg.lstsq(design, b, rcond=None)
    np.testing.assert_allclose(design @ fit, b, atol=1e-4 * np.abs(b).max())
    with pytest.raises(SpecError, match="'whiten_on' parameter of build_static.. needs whiten=True"):
        StaticSpec(whiten=False, whiten_on="x.txt").validate()


def test_refinement_on_plain_sentences_fits_their_own_teacher_vectors(cache, files, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    folder = build_static(StaticSpec(dim=24, vocabulary=str(files[0]), refine=str(plain), workers=1))
    r = json.loads((folder / "meta.json").read_text())["refinement"]
    assert r["lines"] == r["texts"] == r["targets"] == len(TEXTS) and r["pairs"] == 0
    assert r["fit_cosine_after"] > r["fit_cosine_map"] > 0.5
    # the teacher's vectors put translations together, and so does the student fitted to them
    v = StaticEncoder(folder).encode(TEXTS)
    same = np.repeat(np.arange(len(MEANINGS)), len(MEANINGS[0]))
    mask = (same[:, None] == same[None, :]) & ~np.eye(len(TEXTS), dtype=bool)
    assert (v @ v.T)[mask].mean() - (v @ v.T)[~mask].mean() > 0.1


def test_the_refinement_targets_are_cached_and_a_damaged_file_is_recomputed(cache, files, tmp_path):
    """A rebuild with another ridge skips the teacher; a cut file in the cache is not trusted."""
    plain = tmp_path / "targets.txt"
    plain.write_text("\n".join(TEXTS[:6]) + "\n", encoding="utf-8")
    spec = StaticSpec(dim=24, vocabulary=str(files[0]), refine=str(plain), workers=1)
    first: list[ProgressEvent] = []
    a = StaticEncoder(build_static(spec, first.append)).encode(TEXTS)
    assert not any("refinement text from the cache" in e.message for e in first)
    again: list[ProgressEvent] = []
    b = StaticEncoder(build_static(spec.replace(ridge=3.0), again.append)).encode(TEXTS)
    notes = [e.message for e in again if "refinement text from the cache" in e.message]
    assert len(notes) == 1 and not np.allclose(a, b)
    kept = Path(notes[0].rsplit(": ", 1)[1])
    kept.write_bytes(kept.read_bytes()[:100])  # cut, as a disk-full copy would leave it
    cut: list[ProgressEvent] = []
    c = StaticEncoder(build_static(spec.replace(ridge=3.0), cut.append, force=True)).encode(TEXTS)
    assert not any("refinement text from the cache" in e.message for e in cut)
    np.testing.assert_allclose(c, b, atol=1e-5)
    assert np.load(kept).shape == (6, 384)


def test_a_contrastive_fit_on_pairs_puts_each_text_nearest_its_translations(cache, files, student):
    spec = StaticSpec(
        dim=24,
        vocabulary=str(files[0]),
        parallel=str(files[1]),
        contrast_batch=4,
        contrast_steps=1000,
        workers=1,
    )
    events: list[ProgressEvent] = []
    tuned = build_static(spec, events.append)
    assert tuned != student and any("contrastive fit on 12 translation pairs" in e.message for e in events)

    same = np.repeat(np.arange(len(MEANINGS)), len(MEANINGS[0]))

    def nearest_is_a_translation(folder):
        v = StaticEncoder(folder).encode(TEXTS)
        return float(np.mean(same[(v @ v.T - 2 * np.eye(len(TEXTS))).argmax(axis=1)] == same))

    def mean_margin(folder):  # each text: its farthest translation against the nearest other text
        sims = StaticEncoder(folder).encode(TEXTS) @ StaticEncoder(folder).encode(TEXTS).T
        related = np.where(same[:, None] == same[None, :], sims, np.inf).min(axis=1)
        return float(np.mean(related - np.where(same[:, None] != same[None, :], sims, -np.inf).max(axis=1)))

    assert nearest_is_a_translation(student) < 0.75 and nearest_is_a_translation(tuned) == 1.0
    assert mean_margin(tuned) > mean_margin(student) + 0.1
    meta = json.loads((tuned / "meta.json").read_text())
    c = meta["contrast"]
    assert (c["lines"], c["groups"], c["texts"], c["batch"]) == (12, 4, 16, 4)
    assert c["loss_last"] < c["loss_first"] and "tuned on pairs of pairs.tsv" in meta["recipe_summary"]
    assert meta["inputs"]["parallel"]["path"] == str(files[1].resolve())
    # seeded: the same inputs build the same table; another temperature is another student
    again = build_static(spec, output=files[0].parent / "again")
    np.testing.assert_array_equal(np.load(again / "vectors.npy"), np.load(tuned / "vectors.npy"))
    assert build_static(spec.replace(temperature=0.1)) != tuned


def test_the_contrastive_fields_enter_the_cache_key_only_with_pairs(cache, files):
    from interlingua.encoders._static_build import student_key

    base = StaticSpec(dim=24, vocabulary=str(files[0]))
    # a student built before the contrastive fit existed keeps its folder
    assert student_key(base) == student_key(base.replace(contrast_steps=7, temperature=0.5))
    tuned = base.replace(parallel=str(files[1]))
    assert student_key(tuned) != student_key(base)
    assert student_key(tuned) != student_key(tuned.replace(contrast_steps=7))


def test_bad_parallel_files_are_one_clear_error(cache, files, tmp_path):
    vocabulary = str(files[0])
    cases = {
        "plain.tsv": ("Hallo\tHello\nBonjour\n", r"plain\.tsv, line 2: the line has no tab"),
        "half.tsv": ("Hallo\t \n", r"half\.tsv, line 1: the translation after the tab is empty"),
        "same.tsv": ("Hallo\tHallo\n", r"same\.tsv: the parallel file has no pair of two different texts"),
        "one.tsv": (
            "Hallo\tHello\nSalut\tHello\n",
            r"one\.tsv: the parallel file's lines are all translations",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            build_static(StaticSpec(dim=24, vocabulary=vocabulary, parallel=str(tmp_path / name), workers=1))
    with pytest.raises(InputError, match="parallel file does not exist"):
        build_static(StaticSpec(vocabulary=vocabulary, parallel=str(tmp_path / "none.tsv")))


def test_script_means_are_removed_last_and_turning_it_off_keeps_the_old_students(cache, files, student):
    from interlingua.encoders._e5 import bundled_model_path
    from interlingua.encoders._e5file import read_e5_file
    from interlingua.encoders._static_build import student_key
    from interlingua.encoders._static_scripts import piece_script

    spec = StaticSpec(dim=24, vocabulary=str(files[0]), workers=1)
    kept = build_static(spec.replace(center_scripts=False))
    assert kept != student and student_key(spec) != student_key(spec.replace(center_scripts=False))
    # off, the recipe is the one before the step existed: the default student's folder is unchanged
    assert student_key(StaticSpec(center_scripts=False)) == "e5-static-f637970513f2875f-s1"
    meta = json.loads((student / "meta.json").read_text())
    assert "script means removed" in meta["recipe_summary"] and meta["recipe"]["center_scripts"] is True
    assert set(meta["scripts"]["scripts"]) == {"LATIN"}  # the fixture's text is all Latin script
    assert json.loads((kept / "meta.json").read_text())["scripts"] == {}
    f = read_e5_file(bundled_model_path())
    pieces = np.load(student / "pieces.npy")
    latin = np.array([piece_script(f.pieces[i]) == "LATIN" for i in pieces])
    p = np.exp(f.scores[pieces].astype(np.float64))
    p[np.isin(pieces, [f.bos, f.eos, f.pad, f.unk])] = 0.0  # never pooled: no weight in the mean
    a = np.load(kept / "vectors.npy").astype(np.float64)
    b = np.load(student / "vectors.npy").astype(np.float64)
    w = p[latin] / p[latin].sum()
    np.testing.assert_allclose(b[latin], a[latin] - w @ a[latin], atol=1e-5)
    np.testing.assert_allclose(w @ b[latin], 0.0, atol=1e-5)
    np.testing.assert_array_equal(b[~latin], a[~latin])  # digits and punctuation
