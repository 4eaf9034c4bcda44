"""Small helpers several test modules use."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def console_script() -> str:
    """The installed ``interlingua`` command (beside this Python, or on the PATH)."""
    script = Path(sys.executable).with_name("interlingua")
    found = str(script) if script.is_file() else shutil.which("interlingua")
    assert found, "the interlingua console script is not installed"
    return found


def assert_one_error(
    code: int | None, out: str | None, err: str, *fragments: str, alone: bool = False
) -> str:
    """What a command that refuses bad input shows: a non-zero exit, nothing on stdout, no traceback,
    and exactly one ``error: `` line on stderr, holding every fragment; that line is returned.

    ``code`` or ``out`` None: not checked (a subprocess's exit is checked by its caller, a command may
    print a report before it fails). ``alone``: stderr holds that line and nothing else, no warning.
    """
    assert code is None or code != 0, f"exit 0, expected an error; stderr: {err!r}"
    assert "Traceback" not in err, err
    assert out is None or out == "", f"expected nothing on stdout, got {out!r}"
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, f"expected exactly one error line, got {err!r}"
    assert not alone or len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    return errors[0]


def clustered(n: int, d: int = 384, seed: int = 0, centers: int = 40):
    """Unit vectors around a few centers sharing a common direction (like e5's narrow cone):
    ANN indexes behave on them as on real embeddings, unlike on uniform random vectors."""
    import numpy as np

    rng = np.random.default_rng(seed)
    common = rng.standard_normal(d)
    c = rng.standard_normal((centers, d)) + 2.0 * common
    x = c[rng.integers(0, centers, n)] + 0.6 * rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
