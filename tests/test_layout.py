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


# Inside app/core: each wing (a sub-folder) and the call machinery at the top import one way,
# access <- machinery <- (automations, oauth) <- gateway, so no wing imports one that imports it back.
CORE = APP / "core"
CORE_ALLOWED = {
    "access": set(),
    "machinery": {"access"},
    "automations": {"access", "machinery"},
    "oauth": {"access", "machinery"},
    "gateway": {"access", "machinery", "automations", "oauth"},
}


def _core_part(path: pathlib.Path) -> str:
    rel = path.relative_to(CORE)
    if len(rel.parts) > 1:
        return rel.parts[0]
    return "gateway" if rel.stem == "gateway" else "machinery"


def _core_part_of_name(name: str) -> str | None:
    parts = name.split(".")
    if parts[:2] != ["app", "core"] or len(parts) < 3:
        return None
    if (CORE / parts[2]).is_dir():
        return parts[2]
    return "gateway" if parts[2] == "gateway" else "machinery"


def test_core_wings_are_known_and_import_one_way():
    wings = {p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert wings == set(CORE_ALLOWED) - {"machinery", "gateway"}
    wrong = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == CORE:
            continue
        own = _core_part(path)
        for name in _imports(path):
            other = _core_part_of_name(name)
            if other and other != own and other not in CORE_ALLOWED[own]:
                wrong.append(f"{path.relative_to(APP.parent)} ({own}) imports {name} ({other})")
    assert not wrong, wrong


def test_core_top_stays_small():
    top = sorted(p.name for p in CORE.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 8, top
