"""Every module in this folder is a task that registers itself on import."""

from importlib import import_module
from pkgutil import iter_modules

for _mod in iter_modules(__path__):
    if not _mod.name.startswith("_"):
        import_module(f"{__name__}.{_mod.name}")
