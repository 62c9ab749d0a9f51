"""The two programme apps never import each other, and welfare (the shared core)
imports neither: what both need lives in welfare. reports reads them all.
welfare is also the project package, whose URL conf includes every app."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "programs": {"homehelp", "reports"},
    "homehelp": {"programs", "reports"},
    "welfare": {"programs", "homehelp", "reports"},
}


def imported_apps(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_apps_import_only_what_sits_below_them(app):
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / app).rglob("*.py")
        for name in imported_apps(path)
        if name in FORBIDDEN[app] and path != ROOT / "welfare" / "urls.py"
    }
    assert not wrong
