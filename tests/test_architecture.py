"""The core is a library: it imports no chat platform."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "bot" / "core"
PLATFORMS = {"discord", "telegram"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_library() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_modules(path) & PLATFORMS)
        for path in CORE.rglob("*.py")
        if imported_modules(path) & PLATFORMS
    }
    assert list(CORE.rglob("*.py")), "the core package is missing"
    assert offenders == {}


def test_settings_are_not_built_at_import_time() -> None:
    import bot.container
    import bot.settings

    for module in (bot.settings, bot.container):
        assert not [name for name, value in vars(module).items() if type(value).__name__ == "Settings"]
