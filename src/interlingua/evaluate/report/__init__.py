"""Reports: one or several run records -> an HTML page (jinja2) with PNG figures (matplotlib).

Per task: a metrics table with deltas against the first run, bars per measure when runs are
compared, per-language bars sorted by score, a per-language table with deltas, and for every
language-by-language matrix the runs' heatmaps side by side (plus the difference between the
first two when both have it). A run made in a space with adapters carries its raw result too
(``record["raw"]``): it counts as two columns, raw then adapted, so the adapters' effect is the
delta. Figures go to ``<report name>_files/`` beside the HTML and are linked relatively, so the
folder can be moved.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import InputError
from .._run import load_run
from . import _figures


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) >= 1 else f"{v:.4f}"
    return str(v)


def _delta(v, base) -> dict[str, str]:
    if v is None or base is None:
        return {"text": "–", "cls": ""}
    d = v - base
    return {
        "text": f"{d:+.2f}" if abs(d) >= 1 or d == 0 else f"{d:+.4f}",
        "cls": "pos" if d > 0 else "neg" if d < 0 else "",
    }


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def _lang_metric(results: list[dict]) -> str | None:
    """The first run's primary metric when every run has it per language, else the first shared one."""
    key_sets = []
    for r in results:
        rows = list(r["per_language"].values())
        key_sets.append(
            [k for k in rows[0] if isinstance(rows[0][k], (int, float)) and k != "n"] if rows else []
        )
    shared = [k for k in key_sets[0] if all(k in ks for ks in key_sets[1:])]
    if not shared:
        return None
    primary = results[0]["primary_metric"]
    return primary if primary in shared else shared[0]


def _axis_labels(m: dict) -> dict[str, str]:
    return {"row_label": m.get("row_label", "row"), "col_label": m.get("col_label", "column")}


def _task_section(task: str, runs: list[tuple[str, dict]], files: Path, rel: str) -> dict[str, Any]:
    labels = [lab for lab, _ in runs]
    results = [rec["result"] for _, rec in runs]
    primary = results[0]["primary_metric"]
    names = list(dict.fromkeys(k for r in results for k in r["metrics"]))
    metric_rows = []
    for name in names:
        vals = [r["metrics"].get(name) for r in results]
        metric_rows.append(
            {
                "name": name,
                "primary": name == primary,
                "vals": [_fmt(v) for v in vals],
                "deltas": [_delta(v, vals[0]) for v in vals[1:]],
            }
        )
    headlines = [
        f"{lab} — {primary} = {_fmt(r['metrics'].get(primary))}" for (lab, _), r in zip(runs, results)
    ]
    figures, lang_rows, lang_columns = [], [], labels
    if len(results) > 1:
        shown = [
            n for n in names if n != "n_languages" and any(r["metrics"].get(n) is not None for r in results)
        ]
        if shown:
            png = files / f"{_slug(task)}_measures.png"
            _figures.measure_bars(
                shown, {lab: [r["metrics"].get(n) for n in shown] for lab, r in zip(labels, results)}, png
            )
            figures.append({"title": "measures", "src": f"{rel}/{png.name}"})
    metric = _lang_metric(results)
    if metric:
        langs = list(dict.fromkeys(lang for r in results for lang in r["per_language"]))
        table = {lang: [r["per_language"].get(lang, {}).get(metric) for r in results] for lang in langs}
        langs.sort(key=lambda lang: -(table[lang][0] if table[lang][0] is not None else float("-inf")))
        png = files / f"{_slug(task)}_bars.png"
        _figures.language_bars(
            langs, {lab: [table[lang][j] for lang in langs] for j, lab in enumerate(labels)}, metric, png
        )
        figures.append({"title": f"{metric} by language", "src": f"{rel}/{png.name}"})
        if len(results) == 1:  # one run: every per-language metric side by side
            per = results[0]["per_language"]
            lang_columns = [
                k for k in next(iter(per.values())) if isinstance(next(iter(per.values()))[k], (int, float))
            ]
            lang_rows = [
                {"name": lang, "vals": [_fmt(per[lang].get(k)) for k in lang_columns], "deltas": []}
                for lang in langs
            ]
        else:
            lang_rows = [
                {
                    "name": lang,
                    "vals": [_fmt(v) for v in table[lang]],
                    "deltas": [_delta(v, table[lang][0]) for v in table[lang][1:]],
                }
                for lang in langs
            ]
    for mname, m in results[0].get("matrices", {}).items():
        png = files / f"{_slug(task)}_{_slug(mname)}.png"
        # every run that has this matrix in the same shape, side by side on one scale (at most 4;
        # a matrix equal to one already shown, such as the raw side of two adapted runs, once)
        same: list[tuple[str, dict]] = []
        for lab, r in zip(labels, results):
            o = r.get("matrices", {}).get(mname)
            if o and o["rows"] == m["rows"] and o["cols"] == m["cols"]:
                if all(o["values"] != seen["values"] for _, seen in same) and len(same) < 4:
                    same.append((lab, o))
        vals = [v for _, o in same for row in o["values"] for v in row if v is not None and v == v]
        signed = bool(vals) and min(vals) < 0 < max(vals)
        titles = [f"{mname} ({lab})" for lab, _ in same]
        _figures.heatmap(
            m["rows"],
            m["cols"],
            [o["values"] for _, o in same],
            titles,
            png,
            diverging=signed,
            **_axis_labels(m),
        )
        figures.append(
            {"title": f"{mname}: " + ", ".join(lab for lab, _ in same), "src": f"{rel}/{png.name}"}
        )
        if len(results) > 1:
            other = results[1].get("matrices", {}).get(mname)
            if other and other["rows"] == m["rows"] and other["cols"] == m["cols"]:
                diff = [
                    [None if a is None or b is None else b - a for a, b in zip(ra, rb)]
                    for ra, rb in zip(m["values"], other["values"])
                ]
                png = files / f"{_slug(task)}_{_slug(mname)}_delta.png"
                _figures.heatmap(
                    m["rows"],
                    m["cols"],
                    diff,
                    f"{mname}: {labels[1]} − {labels[0]}",
                    png,
                    diverging=True,
                    **_axis_labels(m),
                )
                figures.append({"title": f"{mname}: {labels[1]} − {labels[0]}", "src": f"{rel}/{png.name}"})
    return {
        "task": task,
        "headlines": headlines,
        "columns": labels,
        "delta_columns": [f"Δ {lab.split(':')[0]}−{labels[0].split(':')[0]}" for lab in labels[1:]],
        "metric_rows": metric_rows,
        "figures": figures,
        "lang_rows": lang_rows,
        "lang_metric": metric,
        "lang_columns": lang_columns,
    }


def _space_label(rec: dict) -> str:
    """The encoder and its adapter chain: ``e5-small + center + lir``."""
    spec = (rec.get("space") or {}).get("spec") or {}
    methods = [a.get("method", "?") for a in spec.get("adapters") or ()]
    if not methods and "+" in (rec.get("space") or {}).get("identity", ""):
        methods = ["adapters"]  # a space made in code: its identity says there are adapters
    return " + ".join([rec["encoder"]["name"], *methods])


def _columns(n: int, rec: dict) -> list[tuple[str, dict]]:
    """A record's result columns: one, or raw then adapted for a run made with adapters."""
    raw = rec.get("raw")
    if not raw:
        return [(f"{n}: {_space_label(rec)}", rec)]
    as_raw = {**rec, "result": raw["result"], "space": raw.get("space", {})}
    return [(f"{n}a: {rec['encoder']['name']} raw", as_raw), (f"{n}b: {_space_label(rec)}", rec)]


def write_report(runs: list[str | Path | dict], output: str | Path, *, title: str | None = None) -> Path:
    """Write ``output`` (HTML) and its PNGs from run records (paths or loaded dicts)."""
    from jinja2 import Environment, select_autoescape

    from ... import __version__

    if not runs:
        raise InputError("A report needs at least one run record.")
    records = [(str(r), load_run(r)) if not isinstance(r, dict) else ("(in memory)", r) for r in runs]
    out = Path(output)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"The report output must be an .html file. Got {out.name!r} instead.")
    files = out.with_name(out.stem + "_files")
    from ..._atomic import atomic_write_text, storage_errors
    from ..._paths import check_outputs

    with storage_errors(files):
        files.mkdir(parents=True, exist_ok=True)  # the report's folder too
    check_outputs([out], [src for src, _ in records if src != "(in memory)"])
    labelled = [entry for i, (_, rec) in enumerate(records) for entry in _columns(i + 1, rec)]
    by_task: dict[str, list[tuple[str, dict]]] = {}
    for lab, rec in labelled:
        by_task.setdefault(rec["task"], []).append((lab, rec))
    run_rows = [
        {
            "label": f"{i + 1}",
            "task": rec["task"],
            "encoder": rec["encoder"]["name"],
            "space": _space_label(rec) + (" (and raw)" if rec.get("raw") else ""),
            "data": rec["data"]["path"],
            "checksum": rec["data"]["checksum"][:12],
            "started": rec.get("started", ""),
            "seconds": rec.get("seconds", ""),
            "file": src,
            "versions": rec.get("versions", {}),
        }
        for i, (src, rec) in enumerate(records)
    ]
    tasks = [_task_section(task, rs, files, files.name) for task, rs in by_task.items()]
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    from ._html import TEMPLATE

    html = env.from_string(TEMPLATE).render(
        title=title or "interlingua evaluation: " + ", ".join(by_task),
        runs=run_rows,
        tasks=tasks,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
    )
    atomic_write_text(out, html)
    return out


__all__ = ["write_report"]
