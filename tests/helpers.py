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
