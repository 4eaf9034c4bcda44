"""PNG figures with matplotlib's object API and the Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_COLORS = ("#3b6ea8", "#e08a2e", "#4a9a5b", "#b5443f", "#7b5ea7", "#8c6d31")


def _save(fig, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ..._atomic import atomic_open

    FigureCanvasAgg(fig)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=100, bbox_inches="tight")
    return path


def language_bars(labels: list[str], series: dict[str, list[float]], metric: str, path: Path) -> Path:
    """Horizontal bars, one row per language (already sorted), one colour per run."""
    from matplotlib.figure import Figure

    n, k = len(labels), max(1, len(series))
    fig = Figure(figsize=(8, 0.9 + 0.16 * n * max(1.0, k * 0.8)))
    ax = fig.add_subplot()
    height = 0.8 / k
    y = np.arange(n)
    for j, (name, values) in enumerate(series.items()):
        vals = np.array([np.nan if v is None else v for v in values], dtype=float)
        ax.barh(
            y + (j - (k - 1) / 2) * height, vals, height=height, label=name, color=_COLORS[j % len(_COLORS)]
        )
    ax.set_yticks(y, labels, fontsize=7 if n > 40 else 9)
    ax.invert_yaxis()  # best first
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel(metric)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    if k > 1:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"{metric} by language (best first)", fontsize=10)
    return _save(fig, path)


def measure_bars(names: list[str], series: dict[str, list[float | None]], path: Path) -> Path:
    """Bars per measure: one small panel per measure (each on its own scale, since percentages,
    ranks and counts mix), one bar per run in the run's colour."""
    from matplotlib.figure import Figure

    n, k = len(names), max(1, len(series))
    ncols = min(4, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(2.3 * ncols + 0.4, 0.9 + (0.45 + 0.28 * k) * nrows))
    runs = list(series)
    for i, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        vals = np.array([np.nan if series[r][i] is None else series[r][i] for r in runs], dtype=float)
        y = np.arange(k)
        ax.barh(y, vals, color=[_COLORS[j % len(_COLORS)] for j in range(k)], height=0.7)
        ax.set_yticks(y, [r.split(":")[0] for r in runs] if k > 1 else [""], fontsize=7)
        ax.invert_yaxis()
        for j, v in enumerate(vals):
            if np.isfinite(v):
                ax.text(v, j, f" {v:.1f}" if abs(v) >= 1 else f" {v:.3f}", va="center", fontsize=7)
        finite = vals[np.isfinite(vals)]
        top = float(np.max(finite)) if finite.size else 1.0
        ax.set_xlim(min(0.0, float(np.min(finite)) if finite.size else 0.0), (top or 1.0) * 1.3)
        ax.set_title(name, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
    if k > 1:
        from matplotlib.patches import Patch

        handles = [Patch(color=_COLORS[j % len(_COLORS)], label=r) for j, r in enumerate(runs)]
        fig.legend(
            handles=handles, loc="lower center", ncol=min(k, 3), fontsize=7, bbox_to_anchor=(0.5, -0.02)
        )
    fig.tight_layout(rect=(0, 0.06 if k > 1 else 0, 1, 1))
    return _save(fig, path)


def heatmap(
    rows: list[str],
    cols: list[str],
    values: list[list[float]] | list[list[list[float]]],
    title: str | list[str],
    path: Path,
    *,
    diverging: bool = False,
    row_label: str = "row",
    col_label: str = "column",
) -> Path:
    """One heatmap, or several of the same shape side by side on one colour scale (``values`` a
    list of matrices and ``title`` a list of titles)."""
    from matplotlib.figure import Figure

    panels = [values] if isinstance(title, str) else list(values)
    titles = [title] if isinstance(title, str) else list(title)
    ms = [np.array(v, dtype=float) for v in panels]
    r, c = ms[0].shape
    size = max(4.0, min(24.0, 0.28 * max(r, c) + 2))
    fig = Figure(figsize=((size + 1.2) * len(ms), size))
    finite = np.concatenate([m[np.isfinite(m)] for m in ms])
    if diverging:
        lim = float(np.max(np.abs(finite))) if finite.size else 1.0
        scale = {"cmap": "RdBu", "vmin": -(lim or 1.0), "vmax": lim or 1.0}
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        scale = {"cmap": "viridis", "vmin": lo, "vmax": hi}
    fs = 8 if max(r, c) <= 30 else 5
    for p, (m, t) in enumerate(zip(ms, titles)):
        ax = fig.add_subplot(1, len(ms), p + 1)
        im = ax.imshow(m, aspect="auto", **scale)
        ax.set_xticks(np.arange(c), cols, rotation=90, fontsize=fs)
        ax.set_yticks(np.arange(r), rows, fontsize=fs)
        if max(r, c) <= 12:
            for i in range(r):
                for j in range(c):
                    if not np.isnan(m[i, j]):
                        shade = float(im.norm(m[i, j]))
                        dark = abs(shade - 0.5) > 0.3 if diverging else shade < 0.5
                        ax.text(
                            j,
                            i,
                            f"{m[i, j]:.1f}" if abs(m[i, j]) >= 1 else f"{m[i, j]:.2f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="white" if dark else "black",
                        )
        ax.set_xlabel(col_label)
        ax.set_ylabel(row_label)
        ax.set_title(t, fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.04)
    if len(ms) > 1:
        fig.tight_layout()
    return _save(fig, path)
