"""End to end: a run from a TOML config with e5-small on a tiny Tatoeba fixture, its JSON
record, the embedding cache on the second run, the HTML + PNG report, and the CLI faces."""

from __future__ import annotations

import json

import pytest

from interlingua.errors import InputError
from interlingua.evaluate import embedding_settings, load_config, load_run, run_eval, save_run
from interlingua.evaluate.report import write_report

PAIRS = {
    "deu": [
        "Ich trinke jeden Morgen Kaffee.",
        "Der Zug ist heute sehr spät.",
        "Meine Schwester wohnt in Berlin.",
        "Kannst du mir bitte helfen?",
        "Es regnet seit drei Tagen.",
    ],
    "jpn": [
        "私は毎朝コーヒーを飲みます。",
        "電車は今日とても遅れています。",
        "私の姉はベルリンに住んでいます。",
        "手伝ってくれませんか。",
        "三日間ずっと雨が降っています。",
    ],
}
ENG = [
    "I drink coffee every morning.",
    "The train is very late today.",
    "My sister lives in Berlin.",
    "Can you help me, please?",
    "It has been raining for three days.",
]


@pytest.fixture
def tatoeba(tmp_path):
    root = tmp_path / "tatoeba"
    root.mkdir()
    for code, lines in PAIRS.items():
        (root / f"tatoeba.{code}-eng.{code}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (root / f"tatoeba.{code}-eng.eng").write_text("\n".join(ENG) + "\n", encoding="utf-8")
    return root


def test_run_from_config_record_cache_and_report(tatoeba, tmp_path):
    cfg_file = tmp_path / "run.toml"
    cfg_file.write_text(
        f'task = "tatoeba"\ndata = "{tatoeba}"\nencoder = "e5-small"\nlanguages = ["de", "ja"]\n'
        "[options]\nk = 2\n",
        encoding="utf-8",
    )
    cfg = load_config(cfg_file)
    with embedding_settings(cache_folder=tmp_path):
        first = run_eval(cfg)
        second = run_eval(load_config(cfg_file, scoring="cosine"))
    assert (
        first["embedding"]["encoded"] == 15 and first["embedding"]["cache_hits"] == 0
    )  # 5 English shared by both
    assert second["embedding"]["encoded"] == 0 and second["embedding"]["cache_hits"] == 15
    m = first["result"]["metrics"]
    assert m["acc_cosine"] == pytest.approx(100.0) and m["acc_margin"] == pytest.approx(100.0)
    assert first["config"]["languages"] == ["de", "ja"] and first["config"]["options"] == {"k": 2}
    assert first["config"]["space"]["encoder"] == "e5-small" and first["space"]["identity"].startswith(
        "e5-small|"
    )
    assert first["encoder"]["name"] == "e5-small" and first["encoder"]["identity"].startswith("e5-small|")
    assert len(first["data"]["checksum"]) == 32 and first["versions"]["interlingua"]
    assert second["data"]["checksum"] == first["data"]["checksum"]
    assert "acc_margin" not in second["result"]["metrics"]
    r1, r2 = save_run(first, tmp_path / "r1.json"), save_run(second, tmp_path / "r2.json")
    assert load_run(r1)["result"] == json.loads(json.dumps(first["result"]))
    html = write_report([r1, r2], tmp_path / "out" / "report.html")
    text = html.read_text(encoding="utf-8")
    assert "<h2>tatoeba</h2>" in text and "Δ 2−1" in text and "acc_cosine" in text
    pngs = sorted((tmp_path / "out" / "report_files").glob("*.png"))
    assert [p.name for p in pngs] == [
        "tatoeba_bars.png",
        "tatoeba_measures.png",
    ]  # two runs: bars per measure
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert 'src="report_files/tatoeba_bars.png"' in text


def test_config_paths_are_relative_to_the_file_and_the_task_must_match(tmp_path):
    (tmp_path / "sub").mkdir()
    cfg = tmp_path / "sub" / "run.json"
    cfg.write_text('{"task": "tatoeba", "data": "../tatoeba", "workers": 2}', encoding="utf-8")
    loaded = load_config(cfg, languages=["de"])
    assert (
        loaded.data == str(tmp_path / "sub" / "../tatoeba")
        and loaded.workers == 2
        and loaded.languages == ("de",)
    )
    with pytest.raises(InputError, match="is for task 'tatoeba', not 'sts'"):
        load_config(cfg, task="sts")
    cfg.write_text('{"task": "tatoeba", "colour": "red"}', encoding="utf-8")
    with pytest.raises(
        InputError, match="unknown option.s. 'colour' for EvalRun; known: space, cache, workers, task, data"
    ):
        load_config(cfg)


def test_report_with_heatmaps_and_bad_inputs(tmp_path):
    def record(values):
        return {
            "format": "interlingua-eval/1",
            "task": "sts",
            "encoder": {"name": "x", "identity": "x", "dim": 2},
            "data": {"path": "/d", "checksum": "0" * 32},
            "versions": {},
            "seconds": 1,
            "result": {
                "task": "sts",
                "primary_metric": "spearman",
                "metrics": {"spearman": values[0][0]},
                "per_language": {"en": {"spearman": values[0][0]}, "de": {"spearman": values[1][1]}},
                "matrices": {"rho": {"rows": ["en", "de"], "cols": ["en", "de"], "values": values}},
                "details": {},
                "config": {},
            },
        }

    save_run(record([[80.0, float("nan")], [55.0, 75.0]]), tmp_path / "nan.json")
    first = load_run(tmp_path / "nan.json")  # strict JSON: the undefined cell is null
    assert first["result"]["matrices"]["rho"]["values"][0][1] is None
    html = write_report([tmp_path / "nan.json", record([[82.0, 70.0], [66.0, 76.0]])], tmp_path / "r.html")
    names = sorted(p.name for p in (tmp_path / "r_files").iterdir())
    assert names == ["sts_bars.png", "sts_measures.png", "sts_rho.png", "sts_rho_delta.png"]
    assert "+2.00" in html.read_text(encoding="utf-8")  # the metric delta 82 - 80
    with pytest.raises(InputError, match="must be an .html file"):
        write_report([record([[1.0, 1.0], [1.0, 1.0]])], tmp_path / "r.png")
    (tmp_path / "x.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="Not an interlingua run record"):
        write_report([tmp_path / "x.json"], tmp_path / "r.html")


def test_cli_runs_saves_and_reports(cli, tatoeba, tmp_path):
    code, out, err = cli(
        "eval",
        "tatoeba",
        "--data",
        tatoeba,
        "-l",
        "deu,de",
        "--scoring",
        "margin",
        "--set",
        "k=2",
        "--no-cache",
        "-q",
        "-o",
        tmp_path / "run.json",
    )
    assert code == 0, err
    assert "acc_margin" in out and "<- primary" in out
    rec = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert rec["result"]["per_language"]["deu"]["acc_margin"] == pytest.approx(100.0)
    assert rec["config"]["cache"] is False and rec["config"]["options"] == {"k": 2}
    code, out, err = cli("eval", "report", tmp_path / "run.json", "-o", tmp_path / "rep.html")
    assert (
        code == 0
        and (tmp_path / "rep.html").is_file()
        and (tmp_path / "rep_files" / "tatoeba_bars.png").is_file()
    )
    code, out, err = cli("eval", "list")
    assert code == 0 and "tatoeba" in out and "sib200" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("eval", "tatoeba", "--data", "{tmp}"),
            "This is not a Tatoeba folder: expected files tatoeba.xxx-eng.xxx",
        ),
        (("eval", "tatoeba", "--data", "{tatoeba}", "-l", "fr"), "Languages there (2): deu, jpn"),
        (
            ("eval", "sib200", "--data", "{tatoeba}"),
            "This is not a SIB-200 folder: expected data/annotated/<lang>",
        ),
        (("eval", "tatoeba", "--data", "{tmp}/missing"), "does not exist"),
        (("eval", "tatoeba", "--data", "{tatoeba}", "--set", "colour"), "--set' option takes key=value"),
        (
            ("eval", "tatoeba", "--data", "{tatoeba}", "--scoring", "dot"),
            "The 'scoring' parameter must be one of",
        ),
        (("eval", "report", "{tmp}/none.json"), "The run file does not exist"),
    ],
)
def test_cli_bad_input_is_one_line(cli, tatoeba, tmp_path, args, fragment):
    (tmp_path / "stray.txt").write_text("x\n")
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{tatoeba}", str(tatoeba)) for a in args]
    code, out, err = cli(*argv, *(["--no-cache"] if argv[1] != "report" else []))
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert fragment in lines[0], lines[0]
