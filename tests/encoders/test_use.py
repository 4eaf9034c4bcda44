import numpy as np
import pytest

from interlingua.encoders import get_encoder
from interlingua.encoders._use import UnsupportedLanguageWarning


@pytest.fixture(scope="module")
def use():
    return get_encoder("use-multilingual")


def test_use_separates_translations(use):
    v = use.encode(
        ["The weather is nice today.", "Das Wetter ist heute schön.", "I lost my car keys yesterday."]
    )
    assert v.shape == (3, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.6 > v[0] @ v[2]


def test_use_warns_once_for_languages_it_does_not_know(use):
    swahili = ["Watoto wanacheza mpira uwanjani kila jioni baada ya shule."] * 3
    with pytest.warns(UnsupportedLanguageWarning, match="sw"):
        use.encode(swahili)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnsupportedLanguageWarning)
        use.encode(swahili)  # once per encoder, not per call
