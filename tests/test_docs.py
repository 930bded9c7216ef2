"""The docs cannot go stale: every ```python block of every page in docs/ runs here, in page order, in one
namespace per page, with the page's own asserts.

Conventions a page may use (see docs/index.md, "How these pages are tested"):

* a ```text block that directly follows a ```python block is that block's expected output, compared
  line by line (trailing spaces ignored);
* ``<!-- no-run -->`` on the line before a fence keeps that one block from running (keep them rare);
* ``<!-- docs-test: needs MNIST -->`` anywhere on a page: the page runs with ``$MINIGRAD_DATA`` pointing at
  the data folder, and is skipped with that reason when there is none.
"""
import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from utils import data_root_path

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(text: str):
    """``(kind, code, line, expected_output)`` for each python block; kind is 'run' or 'no-run'."""
    found = list(FENCE.finditer(text))
    result = []
    for i, match in enumerate(found):
        info = match.group(1).strip().split()
        if not info or info[0] != "python":
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip().rsplit("\n", 1)[-1]
        kind = "no-run" if before.strip() == "<!-- no-run -->" else "run"
        expected = None
        if i + 1 < len(found):
            following = found[i + 1]
            between = text[match.end():following.start()]
            if following.group(1).strip() == "text" and not between.strip():
                expected = following.group(2)
        result.append((kind, match.group(2), line, expected))
    return result


def _normalise(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.strip("\n").split("\n"))


def test_docs_folder_has_the_pages():
    names = {p.stem for p in PAGES}
    for page in ("index", "getting-started", "conv-arithmetic", "conv-backprop", "pooling-backward",
                 "transposed-conv", "gradcheck", "api", "differences"):
        assert page in names


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_python_block_of_the_page_runs_and_its_asserts_hold(page, tmp_path, monkeypatch):
    text = page.read_text()
    if "<!-- docs-test: needs MNIST -->" in text:
        root = data_root_path()
        if root is None or not (root / "MNIST").is_dir():
            pytest.skip(f"{page.name} trains on MNIST: set MINIGRAD_DATA to a folder holding MNIST/raw/")
        monkeypatch.setenv("MINIGRAD_DATA", str(root))
    monkeypatch.chdir(tmp_path)  # pages may write files (checkpoints, graphs)
    namespace = {"__name__": "__docs__"}
    for kind, code, line, expected in blocks(text):
        if kind == "no-run":
            continue
        compiled = compile("\n" * line + code, f"{page.relative_to(DOCS.parent)}", "exec")
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compiled, namespace)
        if expected is not None:
            assert _normalise(stdout.getvalue()) == _normalise(expected), \
                f"{page.name}, block at line {line}: printed output differs from the page"


def test_no_run_blocks_are_rare():
    for page in PAGES:
        kinds = [kind for kind, *_ in blocks(page.read_text())]
        assert kinds.count("no-run") <= 2, page.name


def test_teaching_pages_have_code_and_every_page_is_in_the_mkdocs_nav():
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    for page in PAGES:
        assert f"{page.name}" in nav, f"{page.name} is missing from mkdocs.yml nav"
        if page.stem not in ("api", "differences", "index"):
            assert sum(kind == "run" for kind, *_ in blocks(page.read_text())) >= 3, page.name


def test_figures_referenced_by_pages_exist_and_are_small():
    referenced = set()
    for page in PAGES:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            path = DOCS / target
            assert path.is_file(), f"{page.name} shows {target}, which does not exist"
            referenced.add(path.resolve())
    for png in (DOCS / "figures").glob("*.png"):
        assert png.stat().st_size < 200_000, f"{png.name} is {png.stat().st_size} bytes"
    assert referenced, "no page shows a figure"


def test_api_reference_names_importable_modules():
    import importlib
    targets = re.findall(r"^::: ([\w.]+)", (DOCS / "api.md").read_text(), re.M)
    assert targets
    for target in targets:
        module, _, attr = target.rpartition(".")
        try:
            importlib.import_module(target)
        except ImportError:
            assert hasattr(importlib.import_module(module), attr), target


def test_block_parser_finds_outputs_and_no_run_marks():
    page = ("```python\nprint(1)\n```\n\n```text\n1\n```\n<!-- no-run -->\n```python\nimport x\n```\n"
            "```bash\nls\n```\n")
    found = blocks(page)
    assert [(k, c, e) for k, c, _, e in found] == [("run", "print(1)\n", "1\n"), ("no-run", "import x\n", None)]
