"""The folders of app/ import one way: api -> core -> odoo, stores -> base; nothing runs back up."""

from __future__ import annotations

import ast
import pathlib

import pytest

APP = pathlib.Path(__file__).resolve().parent.parent / "app"

# What each folder may import from app (itself always).
ALLOWED = {
    "base": set(),
    "stores": {"base"},
    "odoo": {"base"},
    "core": {"odoo", "stores", "base"},
    "api": {"core", "odoo", "stores", "base"},
}
FREE_OF_FLASK = ("base", "stores", "odoo", "core")


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(folder: str) -> list[pathlib.Path]:
    return sorted((APP / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_folder_imports_only_downwards(folder):
    wrong = []
    for path in _modules(folder):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "app" or len(parts) < 2 or parts[1] == folder:
                continue
            if parts[1] not in ALLOWED[folder]:
                wrong.append(f"{path.relative_to(APP.parent)} imports {name}")
    assert not wrong, wrong


@pytest.mark.parametrize("folder", FREE_OF_FLASK)
def test_inner_folders_never_import_flask(folder):
    wrong = [str(path.relative_to(APP.parent)) for path in _modules(folder)
             if any(name.split(".")[0] in ("flask", "werkzeug", "flask_limiter") for name in _imports(path))]
    assert not wrong, wrong


def test_only_odoo_side_speaks_to_odoo():
    wrong = [str(path.relative_to(APP.parent)) for path in APP.rglob("*.py")
             if "odoo" not in path.relative_to(APP).parts[:1]
             and any(name.startswith(("xmlrpc", "http.client")) for name in _imports(path))]
    assert not wrong, wrong


def test_every_folder_says_what_it_holds():
    for init in APP.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init} has no docstring"


def test_no_module_left_flat_beside_the_folders():
    flat = sorted(p.name for p in APP.glob("*.py"))
    assert flat == ["__init__.py", "cli.py"]
