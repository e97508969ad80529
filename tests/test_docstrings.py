"""Every public function and method of the package documents its parameters (an ``Args:`` section,
one entry per parameter, as the API reference's docstring parser requires)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "emotionnet"


_GROUPED = re.compile(r"^\s+\w+(, \w+)+: ", re.MULTILINE)  # "a, b: ..." documents no parameter for griffe


def _args_section(doc: str) -> str:
    """The lines of ``doc``'s ``Args:`` section (up to the next unindented line)."""
    lines = doc.split("Args:", 1)[-1].splitlines()[1:]
    end = next((i for i, line in enumerate(lines) if line and not line[0].isspace()), len(lines))
    return "\n".join(lines[:end])


def _undocumented(package: Path = PACKAGE) -> list[str]:
    missing = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
        while stack:
            prefix, body = stack.pop()
            for node in body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    stack.append((f"{prefix}{node.name}.", node.body))
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if node.name.startswith("_") and node.name != "__call__":
                        continue  # private helpers; __init__'s Args live in the class docstring
                    names = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
                    if names & {"overload", "property"}:
                        continue
                    params = [a.arg for a in node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
                    doc = ast.get_docstring(node) or ""
                    if params and ("Args:" not in doc or _GROUPED.search(_args_section(doc))):
                        missing.append(f"{path.relative_to(package)}:{node.lineno} {prefix}{node.name}")
    return missing


def test_public_callables_have_args_sections() -> None:
    assert _undocumented() == []


def test_the_check_sees_a_missing_section(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'def f(x):\n    """No sections."""\n\n\n'
        'def g(x):\n    """Documented.\n\n    Args:\n        x: A value.\n    """\n\n\n'
        "def _h(x):\n    pass\n\n\n"
        "class C:\n    def __call__(self, y):\n        pass\n"
    )
    assert _undocumented(tmp_path) == ["m.py:1 f", "m.py:18 C.__call__"]
