"""The README and docs/ hold together: links resolve, pages link both ways, every setting is documented."""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES, ROOT / "bench" / "README.md"]
CONFIG = ROOT / "app" / "base" / "config.py"

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
# The methods of config.py's reader (and the mapping's get) whose first argument names a variable.
READERS = {"get", "number", "optional_int", "log_level", "items", "boolean", "choice", "flag", "directory"}


def prose(text: str) -> str:
    """The text without fenced code blocks, where neither links nor headings count."""
    return FENCE.sub("", text)


def links(path: Path) -> list[str]:
    return LINK.findall(CODE_SPAN.sub("", prose(path.read_text())))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = text.replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file, repeats numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(prose(path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Tools and their arguments", "tools-and-their-arguments"),
    ("Batches: `POST /tools/batch`", "batches-post-toolsbatch"),
    ("`call`: public model methods (letter X)", "call-public-model-methods-letter-x"),
    ("Why CRUD names through `call` need their own letter",
     "why-crud-names-through-call-need-their-own-letter"),
    ("The Odoo sandbox (test double)", "the-odoo-sandbox-test-double"),
    ("Context: company, language, time zone, archived records",
     "context-company-language-time-zone-archived-records"),
])
def test_slug_is_githubs(heading, anchor):
    assert slug(heading) == anchor


def test_anchors_skip_code_and_number_repeats(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Notes\n\n```bash\n# not a heading\n```\n\n## Notes\n")
    assert anchors(page) == {"title", "notes", "notes-1"}


def test_links_skip_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[a](a.md) `[b](b.md)`\n\n```\n[c](c.md)\n```\n[d](https://example.com/d) [e](#e)\n")
    assert links(page) == ["a.md", "https://example.com/d", "#e"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document):
    broken = []
    for target in links(document):
        if not relative(target):
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists():
            broken.append(f"{target}: no file {file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, broken


def test_the_checked_documents_have_links():
    assert all(links(document) for document in DOCUMENTS)
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_starts_with_a_summary_and_links_back(page):
    lines = [line for line in page.read_text().splitlines() if line.strip()]
    assert lines[0].startswith("# "), f"{page.name} starts with its title"
    assert not lines[1].startswith("#"), f"{page.name}: a one-line summary follows the title"
    assert "../README.md" in [target.partition("#")[0] for target in links(page)], \
        f"{page.name} does not link back to README.md"


def test_readme_links_to_every_page():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(README) if relative(target)}
    missing = [page.name for page in PAGES if page.resolve() not in linked]
    assert not missing, f"README.md does not link to {missing}"


def _constants(node: ast.AST, local: dict[str, set[str]]) -> set[str]:
    """The strings an expression can be: a constant, either branch of ``a if c else b``, or a local."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body, local) | _constants(node.orelse, local)
    if isinstance(node, ast.Name):
        return local.get(node.id, set())
    return set()


def _is_reader_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS
            and bool(node.args))


def config_variables() -> set[str]:
    """Every environment variable app/base/config.py reads: the first argument of its readers."""
    names = set()
    for function in ast.walk(ast.parse(CONFIG.read_text())):
        if not isinstance(function, ast.FunctionDef):
            continue
        local = {node.targets[0].id: _constants(node.value, {}) for node in ast.walk(function)
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
        for node in ast.walk(function):
            if _is_reader_call(node):
                names |= {name for name in _constants(node.args[0], local) if VARIABLE.fullmatch(name)}
    return names


def test_config_variables_are_found():
    found = config_variables()
    assert {"ENCRYPTION_KEY", "ENCRYPTION_KEYS", "HOST", "PORT", "REDIS_URL", "BREAKER_FAILURES"} <= found
    assert len(found) >= 25


def test_every_setting_is_in_the_configuration_table():
    page = (ROOT / "docs" / "configuration.md").read_text()
    rows = "\n".join(line for line in page.splitlines() if line.startswith("|"))
    missing = sorted(name for name in config_variables() if f"`{name}`" not in rows)
    assert not missing, f"docs/configuration.md's tables lack {missing}"


def table_variables(text: str) -> set[str]:
    """The variables named in the first column of a Markdown table's rows."""
    return {name for line in text.splitlines() if line.startswith("| `")
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])}


def test_readmes_main_settings_are_in_the_full_table():
    main = table_variables(README.read_text())
    full = table_variables((ROOT / "docs" / "configuration.md").read_text())
    assert len(main) >= 8 and main <= config_variables()
    assert main <= full, f"README.md's settings missing from docs/configuration.md: {sorted(main - full)}"
