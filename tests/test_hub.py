"""Weights through the real huggingface_hub client against the fake Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

import emotionnet
from conftest import ASTRONAUT
from emotionnet import create_model, errors
from emotionnet.models.configs import CONFIGS
from emotionnet.models.emotionnet import EmotionNet
from emotionnet.models.hub import fetch
from emotionnet.models.registry import ModelEntry, WeightsFile
from emotionnet.preprocessing import FacePreprocess
from fake_hub import FakeHub


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny")
    create_model("tiny").save_pretrained(out)
    return {name: (out / name).read_bytes() for name in ("config.json", "model.safetensors")}


def _entry(repo: str, commit: str, data: bytes) -> ModelEntry:
    weights = WeightsFile(
        "model.safetensors", hashlib.sha256(data).hexdigest(), len(data), repo_id=repo, revision=commit
    )
    return ModelEntry("emotionnet_tiny.test", weights, dict(CONFIGS["tiny"]), FacePreprocess())


def test_download_verify_and_cache_hit_without_network(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    model = emotionnet.load_model(entry)
    assert isinstance(model, EmotionNet) and not model.training
    n = len(hub.requests)
    assert n >= 1
    again = emotionnet.load_model(entry)  # pinned revision + cached: no request at all
    assert len(hub.requests) == n
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_tampered_file_is_refused_and_evicted(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    bad = bytearray(tiny_files["model.safetensors"])
    bad[-1] ^= 0xFF
    hub.faults.serve_instead["model.safetensors"] = bytes(bad)
    with pytest.raises(errors.ChecksumError) as info:
        fetch(entry.weights)
    assert info.value.expected == entry.weights.sha256 and info.value.actual != info.value.expected
    assert isinstance(info.value, OSError)
    hub.faults.serve_instead.clear()
    path = fetch(entry.weights)  # the bad copy was not kept: downloads again and verifies
    assert path.read_bytes() == tiny_files["model.safetensors"]


@pytest.mark.slow
def test_truncated_download_is_an_error_and_next_call_works(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    hub.faults.truncate_to = 100
    with pytest.raises(errors.WeightsError):
        fetch(entry.weights)
    hub.faults.truncate_to = None
    assert fetch(entry.weights).read_bytes() == tiny_files["model.safetensors"]


@pytest.mark.parametrize(
    ("repo", "revision", "filename"),
    [
        ("org/missing", None, "model.safetensors"),
        ("org/tiny", "f" * 40, "model.safetensors"),
        ("org/tiny", None, "other.safetensors"),
    ],
    ids=["repo", "revision", "file"],
)
def test_not_found(hub: FakeHub, tiny_files: dict[str, bytes], repo: str, revision: str | None, filename: str) -> None:
    commit = hub.add("org/tiny", tiny_files)
    weights = WeightsFile(filename, "0" * 64, 1, repo_id=repo, revision=revision or commit)
    with pytest.raises(errors.ModelNotFoundError, match="Not found on the Hub"):
        fetch(weights)


@pytest.mark.slow
def test_server_error_then_success(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    hub.faults.statuses = [500] * 10
    with pytest.raises(errors.EmotionNetError):
        fetch(entry.weights)
    hub.faults.statuses = []
    assert fetch(entry.weights).is_file()


def test_offline_with_and_without_cache(
    hub: FakeHub, tiny_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as hf_constants

    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(errors.OfflineError, match="emotionnet download"):
        fetch(entry.weights)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    fetch(entry.weights)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    assert fetch(entry.weights).is_file()


def test_download_fetches_every_file_an_entry_needs_offline(
    hub: FakeHub, tiny_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as hf_constants

    from emotionnet.cli import main
    from emotionnet.models import registry
    from emotionnet.models.export import export_onnx

    export_onnx(emotionnet.load_model(f"local-dir:{_tiny_dir(tmp_path, tiny_files)}"), tmp_path / "model.onnx")
    files = {**tiny_files, "model.onnx": (tmp_path / "model.onnx").read_bytes()}
    commit = hub.add("org/tiny-onnx", files)
    entry = _entry("org/tiny-onnx", commit, files["model.safetensors"])
    onnx = WeightsFile(
        "model.onnx",
        hashlib.sha256(files["model.onnx"]).hexdigest(),
        len(files["model.onnx"]),
        repo_id="org/tiny-onnx",
        revision=commit,
    )
    entry = ModelEntry("emotionnet_tiny.offline", entry.weights, entry.architecture, entry.preprocess, onnx=onnx)
    monkeypatch.setitem(registry._MODELS, entry.name, entry)
    assert main(["download", entry.name]) == 0
    fetched = len(hub.requests)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)  # the network is off from here on
    recognizer = emotionnet.EmotionRecognizer(model=entry.name, runtime="onnxruntime")
    assert recognizer.runtime == "onnxruntime" and len(recognizer.predict(ASTRONAUT)) == 1
    assert len(hub.requests) == fetched


def _tiny_dir(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _fetch_in_subprocess(weights: WeightsFile, tmp_path: Path, **env: str) -> str:
    """Run fetch() in a fresh interpreter (the Hub client reads its settings at import)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from emotionnet.models.hub import fetch\nfrom emotionnet.models.registry import WeightsFile\n"
        "try:\n    fetch(WeightsFile(**json.loads(sys.argv[1]))); print('ok')\n"
        "except Exception as exc:\n    print(type(exc).__name__)\n"
    )
    spec = json.dumps({k: getattr(weights, k) for k in ("filename", "sha256", "size", "repo_id", "revision")})
    full_env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "sub-cache"), **env}
    done = subprocess.run([sys.executable, "-c", code, spec], env=full_env, capture_output=True, text=True, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_connection_refused(tmp_path: Path, tiny_files: dict[str, bytes]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    entry = _entry("org/tiny", "a" * 40, tiny_files["model.safetensors"])
    assert _fetch_in_subprocess(entry.weights, tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{dead}") == "OfflineError"


def test_stalled_server_times_out_and_retries(hub: FakeHub, tiny_files: dict[str, bytes], tmp_path: Path) -> None:

    commit = hub.add("org/tiny", tiny_files)
    entry = _entry("org/tiny", commit, tiny_files["model.safetensors"])
    hub.faults.stalls = [3600.0]  # the first request hangs for an hour; the client must give up on it after 1 s
    assert _fetch_in_subprocess(entry.weights, tmp_path, HF_ENDPOINT=hub.url, HF_HUB_ETAG_TIMEOUT="1") == "ok"
    assert sum(method == "HEAD" for method, _ in hub.requests) >= 2  # it retried: the stall never answered


def test_repo_id_from_pretrained(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    commit = hub.add("org/tiny", tiny_files)
    model = emotionnet.load_model("org/tiny", revision=commit)
    assert model.input_size == 48 and tuple(model.labels) == tuple(e.value for e in emotionnet.EMOTIONS)


def test_pickle_only_repo_is_refused(hub: FakeHub, tiny_files: dict[str, bytes]) -> None:
    hub.add("org/pickled", {"config.json": tiny_files["config.json"], "pytorch_model.bin": b"\x80\x04pickle"})
    with pytest.raises(errors.WeightsError, match="pickle"):
        emotionnet.load_model("org/pickled")


def test_missing_repo_id(hub: FakeHub) -> None:
    with pytest.raises(errors.ModelNotFoundError):
        emotionnet.load_model("org/nothing-here")


def test_corrupted_local_safetensors(tmp_path: Path, tiny_files: dict[str, bytes]) -> None:
    (tmp_path / "config.json").write_bytes(tiny_files["config.json"])
    (tmp_path / "model.safetensors").write_bytes(tiny_files["model.safetensors"][:200])
    with pytest.raises(errors.WeightsError, match="safetensors"):
        emotionnet.load_model(tmp_path)


def test_weights_of_another_architecture(tmp_path: Path, tiny_files: dict[str, bytes]) -> None:
    create_model("tiny", widths=(8, 8, 8, 8)).save_pretrained(tmp_path)
    (tmp_path / "config.json").write_bytes(tiny_files["config.json"])
    with pytest.raises(errors.WeightsError, match="does not fit"):
        emotionnet.load_model(tmp_path)


def test_prefixes_say_where_a_model_comes_from(
    hub: FakeHub, tiny_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = hub.add("org/tiny", tiny_files)
    local = tmp_path / "org" / "tiny"
    local.mkdir(parents=True)
    for name, data in tiny_files.items():
        (local / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ModelNotFoundError, match="local-dir:org/tiny"):
        emotionnet.load_model("org/tiny")  # a folder and a repo id at once: refused, not guessed
    assert emotionnet.load_model("local-dir:org/tiny").input_size == 48
    assert emotionnet.load_model("hf-hub:org/tiny", revision=commit).input_size == 48
    with pytest.raises(errors.ModelNotFoundError, match="model folder"):
        emotionnet.load_model("local-dir:nowhere")
