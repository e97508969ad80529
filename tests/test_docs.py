"""The code in README.md and docs/ runs, and docs/models.md agrees with the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [
    ROOT / "README.md",
    *(ROOT / "docs" / n for n in ("getting-started.md", "video.md", "detectors.md", "devices.md", "scale.md")),
]
SKIP = "<!-- not run by the docs test"


def _python_blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text()
    blocks = []
    for match in re.finditer(r"```python\n(.*?)```", text, re.S):
        before = text[: match.start()].rstrip().splitlines()[-1:]
        if before and before[0].startswith(SKIP):
            continue
        blocks.append((text[: match.start()].count("\n") + 1, match.group(1)))
    return blocks


CASES = [
    pytest.param(p, line, code, id=f"{p.name}:{line}", marks=[pytest.mark.slow] if "ray" in code else [])
    for p in DOCS
    for line, code in _python_blocks(p)
]  # a block that starts Ray is slow (a local cluster)


@pytest.mark.parametrize(("path", "line", "code"), CASES)
def test_code_block_runs(path: Path, line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{path.name}:{line}", "exec"), {"__name__": "__docs__"})


def test_every_doc_link_resolves() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
