"""Import rules between the packages (docs/ARCHITECTURE.md, issue 14).

- nlp/ imports neither crawler nor pipeline: annotation works without a crawl or a database;
  the caller passes what nlp needs (language, dateline, home province, outlet lexicon).
- crawler/ never imports spaCy, torch or thinc at module level: the crawl process stays light
  (it may import the light nlp modules: nlp.dates, nlp.dateline, nlp.lang, nlp.outlets).

Imports are read with ast, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("spacy", "torch", "thinc")


def _imports(tree: ast.AST, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import in the tree (or only those run at import time)."""
    nodes = ast.iter_child_nodes(tree) if top_level_only else ast.walk(tree)
    found: list[tuple[int, str]] = []
    for node in nodes:
        if top_level_only and isinstance(node, ast.If | ast.Try | ast.With):
            found += _imports(node, top_level_only=True)  # module-level blocks still run
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str, forbidden: tuple[str, ...], top_level_only: bool) -> list[str]:
    bad = []
    for path in _modules(package):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, module in _imports(tree, top_level_only):
            if module.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


def test_nlp_imports_neither_crawler_nor_pipeline() -> None:
    assert _modules("nlp"), "no nlp modules found"
    assert _violations("nlp", ("crawler", "pipeline"), top_level_only=False) == []


def test_crawler_never_imports_spacy_torch_or_thinc_at_module_level() -> None:
    assert _modules("crawler"), "no crawler modules found"
    assert _violations("crawler", HEAVY, top_level_only=True) == []


def test_light_nlp_modules_the_crawler_uses_do_not_import_spacy() -> None:
    """What crawler imports from nlp must itself stay spaCy-free, at any depth."""
    seen: set[str] = set()
    todo = [
        m
        for path in _modules("crawler")
        for _, m in _imports(ast.parse(path.read_text(encoding="utf-8")), True)
        if m.startswith("nlp.")
    ]
    assert todo, "crawler is expected to use nlp's dateline/date/language modules"
    bad = []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = ROOT / (module.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, imported in _imports(tree, top_level_only=True):
            if imported.split(".")[0] in HEAVY:
                bad.append(f"{module}:{line} imports {imported}")
            elif imported.startswith("nlp."):
                todo.append(imported)
    assert bad == []


@pytest.mark.parametrize(
    ("source", "package", "expected"),
    [
        ("def f():\n    from crawler.registry import load_registry\n", "nlp", 1),
        ("import pipeline.db\n", "nlp", 1),
        ("try:\n    import spacy\nexcept ImportError:\n    pass\n", "crawler", 1),
        ("def f():\n    import spacy\n", "crawler", 0),  # lazily, inside a function: allowed
        ("from nlp.dateline import find_dateline\n", "nlp", 0),
    ],
)
def test_the_checker_sees_imports_inside_functions_and_blocks(source, package, expected) -> None:
    forbidden = ("crawler", "pipeline") if package == "nlp" else HEAVY
    found = [m for _, m in _imports(ast.parse(source), package == "crawler")]
    assert len([m for m in found if m.split(".")[0] in forbidden]) == expected
