"""docs/api.md is the 1.0 surface: every signature written there must be the code's, name for name
and default for default, and every public callable must be written there (kornia keeps such a
snapshot). Changing a public signature fails here until the page says so too."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import emotionnet
from conftest import ROOT

API = ROOT / "docs" / "api.md"
# `Name(...)` or `.method(...)` at the start of a bullet, or `name`: `name(...)`
SIGNATURE = re.compile(r"^\s*- (?:`(\w+)`: )?`(\.?\w+)\((.*?)\)(?: -> [^`]*)?`", re.M)


def _split(params: str) -> list[str]:
    """Top-level commas only: ``a=(1, 2), b`` is two parameters."""
    out, depth, cur = [], 0, ""
    for ch in params:
        depth += (ch in "([{" and 1) or 0
        depth -= (ch in ")]}" and 1) or 0
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [p for p in [*out, cur.strip()] if p]


def _documented() -> list[tuple[str, str, list[str]]]:
    """``(owner, name, params)`` for each signature on the page; ``owner`` is the class of a method."""
    found, owner = [], ""
    for match in SIGNATURE.finditer(API.read_text()):
        name = match.group(2)
        if name.startswith("."):
            found.append((owner, name[1:], _split(match.group(3))))
        else:
            owner = name
            found.append(("", name, _split(match.group(3))))
    return found


def _code(owner: str, name: str) -> list[str]:
    """The parameters of a public callable as api.md writes them (``self`` left out)."""
    obj = getattr(getattr(emotionnet, owner), name) if owner else getattr(emotionnet, name)
    sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    out, star = [], False
    for p in sig.parameters.values():
        if p.name == "self" or p.kind is p.VAR_KEYWORD:
            out += [f"**{p.name}"] if p.kind is p.VAR_KEYWORD else []
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        default = "" if p.default is p.empty else "=" + repr(p.default).replace("'", '"')
        out.append(p.name + default)
    return out


def test_every_documented_signature_is_the_codes() -> None:
    documented = _documented()
    assert len(documented) >= 18  # the page parses
    wrong = [
        f"{owner + '.' if owner else ''}{name}: docs ({', '.join(doc)}) != code ({', '.join(_code(owner, name))})"
        for owner, name, doc in documented
        if doc != _code(owner, name)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", ["EmotionRecognizer", "FaceDetector"])
def test_every_public_method_is_documented(name: str) -> None:
    documented = {n for owner, n, _ in _documented() if owner == name}
    public = {n for n, v in vars(getattr(emotionnet, name)).items() if not n.startswith("_") and callable(v)}
    assert public == documented


def test_every_public_function_is_documented() -> None:
    documented = {n for owner, n, _ in _documented() if not owner}
    functions = {n for n in emotionnet.__all__ if inspect.isfunction(getattr(emotionnet, n))}
    assert functions <= documented, sorted(functions - documented)


def test_the_snapshot_fails_when_a_signature_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = tmp_path / "api.md"
    changed.write_text(API.read_text().replace("min_face_size=16, max_side=640", "min_face_size=16, max_side=641"))
    monkeypatch.setattr(__import__(__name__), "API", changed)
    with pytest.raises(AssertionError, match="FaceDetector"):
        test_every_documented_signature_is_the_codes()
