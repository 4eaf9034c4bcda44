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


def heatmap(
    rows: list[str],
    cols: list[str],
    values: list[list[float]],
    title: str,
    path: Path,
    *,
    diverging: bool = False,
    row_label: str = "row",
    col_label: str = "column",
) -> Path:
    from matplotlib.figure import Figure

    m = np.array(values, dtype=float)
    r, c = m.shape
    size = max(4.0, min(24.0, 0.28 * max(r, c) + 2))
    fig = Figure(figsize=(size + 1.2, size))
    ax = fig.add_subplot()
    if diverging:
        lim = float(np.nanmax(np.abs(m))) or 1.0
        im = ax.imshow(m, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    else:
        im = ax.imshow(m, cmap="viridis", aspect="auto")
    fs = 8 if max(r, c) <= 30 else 5
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
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04)
    return _save(fig, path)
