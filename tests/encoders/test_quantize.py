"""int8 recipes chosen for the CPU, checked when built, recorded beside the graph."""

import json
import shutil

import numpy as np
import pytest

from interlingua.encoders import _quantize as q
from interlingua.errors import InterlinguaWarning

SPR = "flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni avx_vnni amx_int8 amx_tile\n"
ZEN3 = "processor\t: 0\nflags\t\t: fpu sse2 fma avx2 bmi2\n"
GRACE = "processor\t: 0\nFeatures\t: fp asimd asimddp i8mm sve\n"


def test_flags_are_read_from_cpuinfo():
    assert {"avx512_vnni", "amx_int8", "avx2"} <= q.cpu_flags(SPR)
    assert "avx512_vnni" not in q.cpu_flags(ZEN3)
    assert {"asimddp", "i8mm"} <= q.cpu_flags(GRACE)
    # no cpuinfo (macOS, Windows): numpy's dispatch table, which names at least the baseline
    assert isinstance(q.cpu_flags(""), frozenset)


@pytest.mark.parametrize(
    ("cpuinfo", "machine", "klass", "first"),
    [
        (SPR, "x86_64", "x86-vnni", "u8s8"),
        ("flags: avx2 avx_vnni\n", "x86_64", "x86-vnni", "u8s8"),  # Alder Lake: VNNI without AVX-512
        ("flags: avx2 avx512f avx512bw\n", "x86_64", "x86", "u8s8-rr"),  # Skylake-X: no VNNI
        (ZEN3, "AMD64", "x86", "u8s8-rr"),
        ("", "x86_64", "x86", "u8s8-rr"),  # flags unknown: the safe recipe
        (GRACE, "aarch64", "aarch64", "u8s8"),
    ],
)
def test_recipe_follows_the_instruction_set(cpuinfo, machine, klass, first):
    flags = q.cpu_flags(cpuinfo) if cpuinfo else frozenset()
    assert q.cpu_class(flags, machine) == klass
    order = [r.name for r in q.recipe_order(flags, machine)]
    assert order[0] == first
    if klass == "x86":  # u8s8 saturates without VNNI: never tried there
        assert "u8s8" not in order
    assert order[-1] == "u8u8"  # the last resort is the one no kernel saturates


def test_files_and_records_name_the_recipe():
    names = {q.int8_file(r) for r in q.RECIPES.values()}
    assert len(names) == len(q.RECIPES) and all(f"q{q.QUANT_VERSION}-" in n for n in names)
    assert q.record_file("x86") != q.record_file("x86-vnni")


def test_probes_cover_many_scripts():
    from interlingua.text import detect_script

    assert len(q.PROBES) >= 30
    assert len({detect_script(t) for t in q.PROBES}) >= 15


@pytest.fixture(scope="module")
def probe_setup(tmp_path_factory):
    """The real fp32 graph copied to a fresh folder, and the encoder's tokenization."""
    from interlingua.encoders._e5 import E5Encoder, bundled_model_path, onnx_model_path

    folder = tmp_path_factory.mktemp("int8")
    fp32 = folder / "model.onnx"
    cached = onnx_model_path(bundled_model_path(), "fp32")
    shutil.copyfile(cached, fp32)
    for built in cached.parent.glob(f"model-int8-q{q.QUANT_VERSION}-*.onnx"):  # saves a quantization
        shutil.copyfile(built, folder / built.name)
    enc = E5Encoder("fp32")

    def tokenize(texts):
        batch = enc.tokenize(texts, "passage")
        return batch.ids, batch.mask

    return fp32, tokenize


@pytest.mark.slow
def test_build_checks_and_falls_back(probe_setup):
    fp32, tokenize = probe_setup
    order = (q.U8S8_RR, q.U8S8)
    # an unreachable floor: every recipe fails, each is tried in order, the best one is used
    with pytest.warns(InterlinguaWarning, match="No int8 recipe keeps the cosine"):
        record = q.ensure_int8(fp32, tokenize, floor=1.01, order=order)
    assert [t["recipe"] for t in record["tried"]] == ["u8s8-rr", "u8s8"]
    assert record["held"] is False
    assert record["recipe"] == max(record["tried"], key=lambda t: t["min"])["recipe"]
    on_disk = json.loads((fp32.parent / q.record_file(record["cpu_class"])).read_text())
    assert on_disk == record and on_disk["cpu_flags"] == sorted(on_disk["cpu_flags"])
    assert (fp32.parent / q.int8_file(q.U8S8_RR)).is_file()

    # a reachable floor: the first recipe holds, nothing after it is tried, the file is reused
    record = q.ensure_int8(fp32, tokenize, floor=0.95, order=order)
    assert record["held"] and record["recipe"] == "u8s8-rr"
    assert [t["recipe"] for t in record["tried"]] == ["u8s8-rr"]
    assert 0.95 <= record["probe_min"] <= record["probe_mean"] <= 1.0
    assert q.read_record(fp32.parent) == record

    # the int8 vectors of the probes are close to fp32's but not equal to them
    cos = np.array([t["min"] for t in record["tried"]])
    assert (cos < 1.0).all()


def test_identity_names_the_recipe(e5, e5_int8):
    record = e5_int8.quantization
    assert e5.quantization is None and "|q" not in e5.identity
    assert f"|q{q.QUANT_VERSION}-{record['recipe']}|" in e5_int8.identity
    assert record["recipe"] in e5_int8.info.description
    # the same graph quantized by another recipe is another model
    other = next(r for r in q.RECIPES if r != record["recipe"])
    e5_int8._quant = {**record, "recipe": other}
    try:
        assert f"-{other}|" in e5_int8.identity
    finally:
        e5_int8._quant = record
