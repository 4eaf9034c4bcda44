"""House rules that a reader cannot see from one file: formatting, the import graph, no UI or
global side effects in the library, one atomic writer, install hints that name real extras."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "interlingua"


def _modules() -> dict[str, Path]:
    mods = {}
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(ROOT / "src").with_suffix("")
        mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                b = base[: len(base) - node.level + 1] if node.level > 1 else base
                target = ".".join(b + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            cands = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            cands = [a.name for a in node.names]
        else:
            continue
        out |= {t for t in cands if t in mods and t != name and not name.startswith(t + ".")}
    return out


def test_ruff_format_and_lint_are_clean():
    for args in (["format", "--check"], ["check"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "src", "tests", "benchmarks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_import_cycle_and_no_private_import_across_packages():
    mods = _modules()
    edges = {m: _imports(m, p, mods) for m, p in mods.items()}
    # cycles: a module that reaches itself
    for start in mods:
        seen, stack = set(), list(edges[start])
        while stack:
            m = stack.pop()
            assert m != start, f"import cycle through {start}"
            if m not in seen:
                seen.add(m)
                stack.extend(edges[m])

    def stage(m: str) -> str:
        parts = m.split(".")
        return parts[1] if len(parts) > 1 else ""

    private = sorted(
        (m, t)
        for m in edges
        for t in edges[m]
        if stage(m) != stage(t) and any(x.startswith("_") and x != "__init__" for x in t.split(".")[2:])
    )
    assert not private, private


def _library_files():
    return [p for p in SRC.rglob("*.py") if "cli" not in p.relative_to(SRC).parts]


@pytest.mark.parametrize(
    "pattern, allowed",
    [
        (r"\bprint\(", set()),  # the library never writes to stdout: the CLI draws
        (r"sys\.stdout", set()),
        (r"\btqdm\b", set()),  # progress is an event, the CLI's bars draw it
        (
            r"getLogger\(\)\.setLevel|basicConfig\(",
            {"_quantize.py"},
        ),  # there: in a spawned process of its own
        (r"warnings\.(simplefilter|filterwarnings)\(", set()),
        (r"os\.replace\(", {"_atomic.py"}),  # one atomic writer
        (r"os\.environ\[[^]]+\]\s*=|os\.environ\.setdefault\(", {"_executors.py"}),  # worker processes only
    ],
)
def test_library_has_no_ui_and_no_global_side_effects(pattern, allowed):
    found = [
        f"{p.relative_to(SRC)}:{i}"
        for p in _library_files()
        if p.name not in allowed
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line) and not line.lstrip().startswith("#")
    ]
    assert not found, found


def test_torch_thread_count_is_only_set_when_asked():
    for p in _library_files():
        text = p.read_text(encoding="utf-8")
        for m in re.finditer(r"torch\.set_num_threads", text):
            before = text[: m.start()].splitlines()[-1]
            assert "threads is not None" in text[max(0, m.start() - 200) : m.start()], (p, before)


def test_install_hints_name_extras_that_exist():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    named = set()
    for p in SRC.rglob("*.py"):
        named |= set(
            re.findall(
                r"MissingDependencyError\([^)]*?,\s*\"([a-z0-9_-]+)\"\)", p.read_text(encoding="utf-8")
            )
        )
    assert named, "no install hint found: the pattern is stale"
    assert named <= extras, named - extras


def test_every_warning_names_its_category():
    """A warning of the library is one of errors.py's classes (callers filter by them)."""
    for p in _library_files():
        text = p.read_text(encoding="utf-8")
        for m in re.finditer(r"warnings\.warn\(", text):
            call = text[m.start() : m.start() + 600]
            depth, end = 0, 0
            for i, ch in enumerate(call):
                depth += ch == "("
                depth -= ch == ")"
                if depth == 0 and ch == ")":
                    end = i
                    break
            assert re.search(r"\b\w+Warning\b", call[:end]), f"{p.relative_to(SRC)}: {call[:80]!r}"


def test_every_exception_and_warning_lives_in_errors():
    from interlingua import errors

    for p in SRC.rglob("*.py"):
        if p.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not bases & {
                    "Exception",
                    "ValueError",
                    "UserWarning",
                    "Warning",
                    "InterlinguaError",
                    "InputError",
                    "InterlinguaWarning",
                }, f"{p.relative_to(SRC)}: {node.name}"
    for name in errors.__all__:
        cls = getattr(errors, name)
        if issubclass(cls, errors.InterlinguaError):
            assert isinstance(cls.exit_code, int) and 400 <= cls.http_status < 600, name


def test_slow_marker_is_declared():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in cfg["markers"]) and "--strict-markers" in cfg["addopts"]


def test_heavy_parts_load_when_used_not_on_import():
    """A light core (STYLE.md): importing every stage loads no model runtime, index library or Parquet."""
    code = (
        "import sys, interlingua.embed, interlingua.mine, interlingua.search, interlingua.store, interlingua.evaluate; "
        "heavy = ('pyarrow', 'onnxruntime', 'faiss', 'torch', 'transformers', 'tantivy', 'sklearn', 'matplotlib'); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]", out
