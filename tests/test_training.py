"""Training smoke tests on a small FER2013-layout folder made here: train, resume, DDP, eval, export."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from conftest import FERPLUS_CSV_COLUMNS, popen_ctrl_c
from emotionnet.cli import main
from emotionnet.errors import DatasetError
from emotionnet.models.pretrained import load_model
from emotionnet.training.cache import DamagedCacheWarning, write_cache
from emotionnet.training.data import load_split
from emotionnet.training.ferplus import read_votes, soft_targets


def _train(fer_dir: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--data",
            str(fer_dir),
            "--out",
            str(out),
            "--config",
            "tiny",
            "--batch-size",
            "16",
            "--lr",
            "0.05",
            "--no-progress",
            *extra,
        ]
    )


def test_train_one_epoch_writes_checkpoints(fer_dir: Path, tmp_path: Path) -> None:
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1", "--class-balance", "sqrt") == 0
    assert json.loads((tmp_path / "run" / "train_config.json").read_text())["class_balance"] == "sqrt"
    run = tmp_path / "run"
    assert {"last.ckpt", "best", "train_config.json"} <= {p.name for p in run.iterdir()}
    assert (run / "best" / "model.safetensors").is_file()
    cfg = json.loads((run / "best" / "config.json").read_text())
    assert cfg["widths"] == [4, 8, 8, 16] and cfg["preprocess"]["size"] == 48


def test_resume_is_bit_for_bit(fer_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(fer_dir, tmp_path / "straight", "--epochs", "3") == 0
    finished = (tmp_path / "straight" / "last.ckpt").read_bytes()
    assert _train(fer_dir, tmp_path / "straight", "--epochs", "1") == 1  # a new run there would overwrite it
    assert "already holds a run" in capsys.readouterr().err
    assert (tmp_path / "straight" / "last.ckpt").read_bytes() == finished
    assert _train(fer_dir, tmp_path / "split", "--epochs", "3", "--stop-after", "1") == 0
    # what a kill in the middle of writing leaves behind must not stop the resume
    (tmp_path / "split" / "last.ckpt.partial").write_bytes(b"half a checkpoint")
    (tmp_path / "split" / "best.partial").mkdir()
    (tmp_path / "split" / "best.partial" / "model.safetensors").write_bytes(b"half the weights")
    (tmp_path / "split" / ".last.x1y2.part.ckpt").write_bytes(b"half a checkpoint")  # atomic_path's name
    (tmp_path / "split" / ".best.x1y2.part").mkdir()  # atomic_dir's
    assert _train(fer_dir, tmp_path / "split", "--epochs", "4", "--resume") == 2  # a longer schedule: refused
    assert "epochs 3 then, 4 now" in capsys.readouterr().err  # (it used to crash when the old schedule ended)
    saved = tmp_path / "split" / "train_config.json"
    saved.write_text(saved.read_text().replace('"epochs": 3', '"epochs": 4'))  # a config edited by hand
    assert _train(fer_dir, tmp_path / "split", "--epochs", "4", "--resume") == 2  # the checkpoint's schedule says no
    assert "schedule has" in capsys.readouterr().err
    saved.write_text(saved.read_text().replace('"epochs": 4', '"epochs": 3'))
    assert _train(fer_dir, tmp_path / "split", "--epochs", "3", "--resume") == 0
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == ["best", "last.ckpt", "train_config.json"]
    a = torch.load(tmp_path / "straight" / "last.ckpt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.ckpt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert json.loads(a["history"])[-1]["val_acc"] == json.loads(b["history"])[-1]["val_acc"]


def _rank_errors(stderr: str) -> str:
    """The lines of torchrun's stderr that say why a rank died, then its tail."""
    keys = ("terminate", "what()", "Error", "error", "Abort", "Fatal")
    return "\n".join(line for line in stderr.splitlines() if any(k in line for k in keys))[:3000] + stderr[-1500:]


@pytest.mark.slow
def test_ddp_two_cpu_processes_stay_in_sync(fer_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={port}",
        "-m",
        "emotionnet.training",
        "--data",
        str(fer_dir),
        "--out",
        str(tmp_path / "ddp"),
        "--config",
        "tiny",
        "--batch-size",
        "8",
        "--epochs",
        "2",
        "--no-progress",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    if done.returncode != 0 and "(SIGABRT)" in done.stderr:
        # A rank aborted in C++ (a Python error exits with 1) is a gloo/TCPStore race: seen once
        # in CI, never in 16 local runs. One rerun, which must pass every check below.
        print("first run aborted by a signal; rerunning once:\n", _rank_errors(done.stderr))
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, _rank_errors(done.stderr)
    assert "2 ranks in sync: True" in done.stdout
    assert (tmp_path / "ddp" / "best" / "model.safetensors").is_file()


def test_eval_and_export(fer_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1") == 0
    best = tmp_path / "run" / "best"
    png, metrics = tmp_path / "cm.png", tmp_path / "m.json"
    assert (
        main(
            [
                "eval",
                "--model",
                str(best),
                "--data",
                str(fer_dir),
                "--tta",
                "tencrop",
                "--fit-temperature",
                "--confusion",
                str(png),
                "--json",
                str(metrics),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "FER2013" in out and "FER+" in out and "+ ten-crop" in out and "disgust" in out
    report = json.loads(metrics.read_text())
    assert report["FER2013"]["n"] == 28 and np.array(report["FER2013"]["confusion"]).sum() == 28
    assert set(report["FER+"]["views"]) == {"tencrop"} and report["FER+"]["n"] <= 28
    assert cv2.imread(str(png)).shape[0] > 500
    assert (
        main(
            [
                "export-weights",
                "--checkpoint",
                str(best),
                "--out",
                str(tmp_path / "export"),
                "--temperature",
                "1.5",
                "--half",
                "--metrics",
                str(metrics),
            ]
        )
        == 0
    )
    exported = tmp_path / "export"
    assert json.loads((exported / "config.json").read_text())["temperature"] == 1.5
    assert all(
        t.dtype == torch.float16 for t in load_file(exported / "model.safetensors").values() if t.is_floating_point()
    )
    assert "## Evaluation" in (exported / "README.md").read_text()
    before = (best / "model.safetensors").read_bytes()
    assert main(["export-weights", "--checkpoint", str(best), "--out", str(best), "--half"]) == 1  # never in place
    assert (best / "model.safetensors").read_bytes() == before
    assert main(["export-weights", "--checkpoint", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 1
    assert main(["export-weights", "--checkpoint", str(best), "--out", str(tmp_path / "x"), "--metrics", str(png)]) == 2
    err = capsys.readouterr().err
    assert "is the checkpoint itself" in err and "is not a folder" in err and "cannot be read as JSON" in err


def test_ferplus_benchmark_labels_follow_the_definition(tmp_path: Path) -> None:
    header = "path," + ",".join(FERPLUS_CSV_COLUMNS) + ",same_image_in_train,votes_uncertain\n"
    rows = {  # votes in FER+ order: neutral happiness surprise sadness anger disgust fear contempt unknown NF
        "a.jpg": ("0,8,2,0,0,0,0,0,0,0", 3),  # happiness plurality -> happy
        "b.jpg": ("0,4,4,0,0,0,0,0,2,0", -1),  # tie -> not counted
        "c.jpg": ("0,8,1,0,0,0,0,0,0,1", -1),  # NF > 0 -> not counted
        "d.jpg": ("2,0,0,0,0,0,0,6,2,0", -1),  # contempt plurality -> not one of our seven
        "e.jpg": ("0,0,0,0,0,0,0,0,10,0", -1),  # unknown only
    }
    (tmp_path / "ferplus.csv").write_text(header + "".join(f"{k},{v},0,0\n" for k, (v, _) in rows.items()))
    votes, labels = read_votes(tmp_path, tuple(rows))
    assert labels.tolist() == [want for _, want in rows.values()]
    assert votes[0].tolist() == [0, 0, 0, 8, 0, 2, 0]  # our order: angry disgust fear happy sad surprise neutral
    fer_labels = torch.tensor([3, 3, 3, 6, 1])
    dist = soft_targets(fer_labels, votes, "ferplus")
    assert torch.allclose(dist.sum(1), torch.ones(5)) and dist[0, 3] == 0.8
    assert dist[4].tolist() == [0, 1, 0, 0, 0, 0, 0]  # no vote for our seven: the FER2013 label stays
    mixed = soft_targets(fer_labels, votes, "mix", mix_alpha=0.25)
    assert torch.allclose(mixed[0], 0.25 * torch.eye(7)[3] + 0.75 * dist[0])


@pytest.mark.parametrize("targets", ["ferplus", "mix"])
def test_train_on_ferplus_targets(fer_dir: Path, tmp_path: Path, targets: str) -> None:
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1", "--targets", targets, "--mix-alpha", "0.3") == 0
    cfg = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert cfg["targets"] == targets and cfg["mix_alpha"] == 0.3
    assert (tmp_path / "run" / "best" / "model.safetensors").is_file()


def test_faces_without_a_vote_for_our_seven_keep_their_label_or_are_dropped(
    fer_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "fer"
    shutil.copytree(fer_dir, data)
    lines = (data / "ferplus.csv").read_text().splitlines()
    contempt = ",".join(str(10 * (c == "contempt")) for c in FERPLUS_CSV_COLUMNS)
    train_rows = [i for i, line in enumerate(lines) if line.startswith("train/")][:3]
    for i in train_rows:
        lines[i] = lines[i].split(",")[0] + "," + contempt + ",0,0"
    (data / "ferplus.csv").write_text("\n".join(lines) + "\n")
    with caplog.at_level("INFO", logger="emotionnet.train"):
        assert _train(data, tmp_path / "keep", "--epochs", "1", "--targets", "ferplus") == 0
        assert "dropping" not in caplog.text
        assert _train(data, tmp_path / "drop", "--epochs", "1", "--targets", "ferplus", "--unvoted", "drop") == 0
    assert "dropping 3 training faces with no vote for our seven" in caplog.text
    assert json.loads((tmp_path / "drop" / "train_config.json").read_text())["unvoted"] == "drop"


@pytest.mark.slow
def test_bad_data_and_values_are_one_error_line(
    fer_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["eval", "--data", str(missing), "--no-progress"]) == 1
    assert capsys.readouterr().err.startswith(f"error: FER2013 folder missing: {missing}")
    assert _train(missing, tmp_path / "a", "--epochs", "1") == 1
    assert not (tmp_path / "a").exists()  # no run folder for a run that never started
    no_votes = tmp_path / "fer"
    shutil.copytree(fer_dir, no_votes)
    (no_votes / "ferplus.csv").unlink()
    assert _train(no_votes, tmp_path / "b", "--epochs", "1", "--targets", "ferplus") == 1
    assert "error: FER+ votes not found" in capsys.readouterr().err
    assert _train(fer_dir, tmp_path / "c", "--epochs", "1", "--targets", "mix", "--mix-alpha", "2") == 2
    assert _train(fer_dir, tmp_path / "d", "--epochs", "1", "--low-res-prob", "1.5") == 2
    err = capsys.readouterr().err
    assert "error: mix_alpha must be in [0, 1], got 2.0" in err and "error: low_res_prob must be in [0, 1]" in err
    assert "Traceback" not in err
    a_file = tmp_path / "run.txt"
    a_file.write_text("not a folder")
    assert _train(fer_dir, a_file, "--epochs", "1") == 1
    for option, value in (("--epochs", "0"), ("--batch-size", "0"), ("--lr", "nan"), ("--ema-decay", "1")):
        assert _train(fer_dir, tmp_path / "e", option, value) == 2, option  # before any data is read
    err = capsys.readouterr().err
    assert "is a file" in err and "epochs must be >= 1, got 0" in err and "lr must be > 0, got nan" in err
    assert a_file.read_text() == "not a folder" and not (tmp_path / "e").exists()
    image = next((fer_dir / "test" / "happy").glob("PrivateTest_*.jpg"))
    before = image.read_bytes()
    assert main(["eval", "--data", str(fer_dir), "--tta", "none", "--no-progress", "--json", str(image)]) == 1
    assert main(["eval", "--data", str(fer_dir), "--limit", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Refusing to write json over" in err and "--limit must be >= 1" in err and image.read_bytes() == before
    for module in ("emotionnet.training", "emotionnet.training.reframe"):  # the python -m entry points too
        args = ["--data", str(missing), "--out", str(tmp_path / module)]
        done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (
            1,
            f"error: FER2013 folder missing: {missing / 'train' / 'angry'} "
            f"(expected {missing}/<train|test>/<emotion>/)\n",
        ), module


@pytest.mark.parametrize("config", ["tiny", "compact", "slim", "narrow", "wide", "paper"])
def test_every_config_trains_one_step(fer_dir: Path, tmp_path: Path, config: str) -> None:
    args = ["--epochs", "1", "--limit", "8", "--batch-size", "8", "--config", config]
    assert _train(fer_dir, tmp_path / config, *args) == 0
    saved = json.loads((tmp_path / config / "best" / "config.json").read_text())
    assert saved["preprocess"]["size"] == saved["input_size"] == (40 if config in ("wide", "paper") else 48)


@pytest.mark.slow
def test_wide_script_chains_its_three_schedules_and_resumes(fer_dir: Path, tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "train_wide.sh"
    runs = tmp_path / "runs"
    env = {**os.environ, "DATA": str(fer_dir), "RUNS": str(runs), "CACHE": str(tmp_path / "cache")}
    env |= {"OMP_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
    smoke = ["--limit", "16", "--epochs", "1", "--batch-size", "8"]
    done = subprocess.run(["bash", str(script), *smoke], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    stages = ("wide-s0", "wide-s0-ft", "wide-s0-ft2", "wide-s0-ferplus")
    for stage, init in zip(stages, (None, "wide-s0", "wide-s0-ft", "wide-s0-ft2")):
        config = json.loads((runs / stage / "train_config.json").read_text())
        assert config["config"] == "wide" and (runs / stage / "best" / "model.safetensors").is_file()
        assert config["init_from"] == (None if init is None else str(runs / init / "best"))
        assert config["label_smoothing"] == (0.1 if init is None else 0.0)
        assert config["targets"] == ("ferplus" if stage.endswith("ferplus") else "fer2013")
    checkpoints = {s: (runs / s / "last.ckpt").read_bytes() for s in stages}
    (runs / "wide-s0-ft2" / "last.ckpt").unlink()  # as if the session ended during the last schedule
    shutil.rmtree(runs / "wide-s0-ft2" / "best")
    done = subprocess.run(["bash", str(script), *smoke], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert all((runs / s / "last.ckpt").read_bytes() == checkpoints[s] for s in stages if s != "wide-s0-ft2")
    assert (runs / "wide-s0-ft2" / "best" / "model.safetensors").is_file()  # the one stage cut short, redone
    finish = script.with_name("finish_wide.sh")  # then what the decisions need, PublicTest only
    done = subprocess.run(["bash", str(finish)], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    final = runs / "wide-final"
    reports = {s: json.loads((final / f"{s}.val.json").read_text()) for s in stages[:3]}
    assert all(r["split"] == "PublicTest" and r["FER2013"]["views"] for r in reports.values())
    chosen, temperature = (final / "chosen.txt").read_text().split()
    assert reports[chosen]["FER2013"]["accuracy"] == max(r["FER2013"]["accuracy"] for r in reports.values())
    for entry in ("fer2013", "ferplus"):
        config = json.loads((final / entry / "config.json").read_text())
        int8 = json.loads((final / f"{entry}_int8.val.json").read_text())
        assert config["input_size"] == 40 and int8["split"] == "PublicTest" and int8["onnx"].endswith("_int8.onnx")
    assert json.loads((final / "fer2013" / "config.json").read_text())["temperature"] == float(temperature)
    assert "PrivateTest" not in " ".join(p.read_text() for p in final.glob("*.json"))  # never looked at
    assert "--split test" in done.stdout  # the commands for the one look, printed, not run


@pytest.mark.slow
def test_gpu_script_runs_on_the_cpu(fer_dir: Path, tmp_path: Path) -> None:
    """scripts/train_gpu.sh end to end, and what it leaves for a device call to bring back."""
    import tarfile

    script = Path(__file__).resolve().parents[1] / "scripts" / "train_gpu.sh"
    runs, out = tmp_path / "runs", tmp_path / "out"
    env = {**os.environ, "DATA": str(fer_dir), "RUNS": str(runs), "OUT": str(out), "PYTHON": sys.executable}
    env["OMP_NUM_THREADS"] = "1"

    def call(*args: str) -> None:
        done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stderr[-3000:]

    call("--limit", "16", "--epochs", "1", "--batch-size", "8")
    teachers = ("wide-s0-ft2", "wide-s0-ferplus", "teacher-s1", "teacher-mix", "teacher-s2")  # fp16 in OUT
    assert json.loads((runs / "wide-s0-ferplus" / "train_config.json").read_text())["init_from"] == str(
        runs / "wide-s0-ft2" / "best"
    )
    for run in ("paper", "wide-s0", "wide-s0-ft", *teachers):
        assert (runs / run / "best" / "model.safetensors").is_file()
    returned = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(returned) <= 8 and all(p.stat().st_size <= 16 << 20 for p in returned)  # a device call's limits
    assert sum(p.stat().st_size for p in returned) <= 64 << 20
    with tarfile.open(out / "results.tar.gz") as tar:
        names = set(tar.getnames())
        for run in ("paper", *teachers):
            assert f"{run}/best/config.json" in names and f"{run}.log" in names
            report = tar.extractfile(f"{run}.publictest.json")
            assert report is not None and json.loads(report.read())["split"] == "PublicTest"
        assert {"paper-hub/README.md", "paper-hub/config.json", "times.txt"} <= names
    for teacher in teachers:  # fp16 weights plus the run's config load as a model
        folder = tmp_path / "home" / teacher
        folder.mkdir(parents=True)
        shutil.copy(out / f"{teacher}.safetensors", folder / "model.safetensors")
        shutil.copy(runs / teacher / "best" / "config.json", folder / "config.json")
        half, full = load_model(f"local-dir:{folder}").state_dict(), load_model(runs / teacher / "best").state_dict()
        assert half.keys() == full.keys()
        assert all(torch.allclose(half[k].float(), full[k].float(), rtol=1e-2, atol=1e-3) for k in full)
    weights = {t: (out / f"{t}.safetensors").read_bytes() for t in teachers}
    call("--limit", "16", "--epochs", "1", "--batch-size", "8")  # again, on a warm machine: it resumes
    assert all((out / f"{t}.safetensors").read_bytes() == w for t, w in weights.items())  # nothing trained again
    call("--collect-paper")
    parts = sorted(out.glob("paper.safetensors.part-*"))
    assert parts and b"".join(p.read_bytes() for p in parts) == (runs / "paper-hub" / "model.safetensors").read_bytes()


def test_distillation_caches_the_teachers(fer_dir: Path, tmp_path: Path) -> None:
    assert _train(fer_dir, tmp_path / "teacher", "--epochs", "1") == 0
    cache = tmp_path / "cache"
    args = ["--epochs", "1", "--teachers", str(tmp_path / "teacher" / "best"), "--cache-dir", str(cache)]
    assert _train(fer_dir, tmp_path / "student", *args, "--distill-weight", "0.7") == 0
    cached = sorted(cache.glob("teachers-*.npz"))
    assert len(cached) == 1
    probs = np.load(cached[0])["probs"]
    assert probs.shape == (112, 7) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert _train(fer_dir, tmp_path / "student2", *args) == 0
    assert sorted(cache.glob("teachers-*.npz")) == cached  # computed once
    assert json.loads((tmp_path / "student" / "train_config.json").read_text())["distill_weight"] == 0.7
    cached[0].write_bytes(cached[0].read_bytes()[:100])  # cut short, as by a Ctrl-C mid-write before 1.0
    with pytest.warns(DamagedCacheWarning, match="damaged"):
        assert _train(fer_dir, tmp_path / "student3", *args) == 0
    assert np.allclose(np.load(cached[0])["probs"], probs, atol=1e-6)  # rebuilt whole


def test_a_damaged_image_cache_is_rebuilt_with_a_warning(fer_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    whole = load_split(fer_dir, "val", cache)
    (npz,) = cache.glob("fer2013-val-*.npz")
    good = npz.read_bytes()
    for damage in (good[: len(good) // 2], b"", b"PK\x03\x04 not a zip at all"):
        npz.write_bytes(damage)
        with pytest.warns(DamagedCacheWarning):
            again = load_split(fer_dir, "val", cache)
        assert np.array_equal(again.images, whole.images) and np.array_equal(again.labels, whole.labels)
        assert npz.read_bytes() == good  # rewritten whole
    assert [p.name for p in cache.iterdir()] == [npz.name]  # no temporary file left


def test_an_interrupted_cache_write_leaves_no_cache(fer_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "x.npz"
    cache.parent.mkdir()

    class Stop:
        """Ctrl-C while the second array is written."""

        def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_cache(cache, images=np.zeros((4, 4)), labels=Stop())  # type: ignore[arg-type]
    assert list(cache.parent.iterdir()) == []


def test_caches_expand_the_home_folder(fer_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cache_dir="~/..."`` from Python (no shell to expand it) caches under the home folder."""
    from emotionnet.training.data import load_split

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    load_split(fer_dir, "val", "~/cache")
    assert len(list((tmp_path / "home" / "cache").glob("fer2013-val-*.npz"))) == 1
    assert not (tmp_path / "~").exists()


def test_a_copy_with_other_pixels_gets_its_own_caches(fer_dir: Path, tmp_path: Path) -> None:
    """A re-cropped FER2013 keeps the file names: neither cache may hand back the original's data."""
    import shutil

    from emotionnet.training.data import load_split
    from emotionnet.training.distill import teacher_probabilities

    cache = tmp_path / "cache"
    copy = tmp_path / "copy"
    shutil.copytree(fer_dir, copy)
    original = load_split(fer_dir, "val", cache)
    assert np.array_equal(load_split(copy, "val", cache).images, original.images)
    first = copy / original.files[0]
    cv2.imwrite(str(first), 255 - cv2.imread(str(first), cv2.IMREAD_GRAYSCALE))
    changed = load_split(copy, "val", cache)
    assert changed.files == original.files
    assert np.array_equal(changed.images[0], cv2.imread(str(first), cv2.IMREAD_GRAYSCALE))
    assert not np.array_equal(changed.images[0], original.images[0])
    assert np.array_equal(load_split(fer_dir, "val", cache).images, original.images)

    assert _train(fer_dir, tmp_path / "teacher", "--epochs", "1") == 0
    teacher = [str(tmp_path / "teacher" / "best")]
    a = teacher_probabilities(teacher, original, 2.0, cache)
    b = teacher_probabilities(teacher, changed, 2.0, cache)
    assert len(list(cache.glob("teachers-*.npz"))) == 2
    assert not np.allclose(a[0], b[0]) and np.allclose(a[1:], b[1:])


def test_fer2013_travels_to_a_gpu_in_shards(fer_dir: Path, tmp_path: Path) -> None:
    """scripts/pack_fer2013.py: shards under the size asked, unpacked byte for byte, PrivateTest left home."""
    import subprocess
    import sys

    from emotionnet.training.data import load_split

    script = Path(__file__).parents[1] / "scripts" / "pack_fer2013.py"
    shards, out = tmp_path / "shards", tmp_path / "fer2013"
    run = subprocess.run(
        [sys.executable, str(script), "pack", "--data", str(fer_dir), "--out", str(shards), "--max-mb", "0.05"],
        capture_output=True,
        text=True,
        check=True,
    )
    written = sorted(shards.glob("fer2013-*.zip"))
    assert len(written) >= 3 and len(run.stdout.splitlines()) == len(written)
    assert all(z.stat().st_size <= 50_000 for z in written)
    subprocess.run([sys.executable, str(script), "unpack", str(shards), "--out", str(out)], check=True)
    packed = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert Path("ferplus.csv") in packed and not any(p.name.startswith("PrivateTest_") for p in packed)
    assert len(packed) == 1 + 7 * (16 + 4)
    assert all((out / p).read_bytes() == (fer_dir / p).read_bytes() for p in packed)
    for split in ("train", "val"):
        assert np.array_equal(load_split(out, split).images, load_split(fer_dir, split).images)


def test_reframe_recuts_a_real_face_and_keeps_the_layout(fer_dir: Path, tmp_path: Path) -> None:
    from conftest import ASTRONAUT
    from emotionnet import FaceDetector
    from emotionnet.models.registry import get_model_entry
    from emotionnet.training.data import load_split
    from emotionnet.training.reframe import find_face, main as reframe_main, reframe

    detector, crop = FaceDetector(), get_model_entry("default").preprocess
    photo = cv2.imread(str(ASTRONAUT))
    (face,) = detector.detect(photo)
    x, y, w, h = (int(v) for v in face.box)
    fer_like = cv2.resize(cv2.cvtColor(photo[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY), (48, 48))
    cut = reframe(fer_like, detector, crop)
    assert cut is not None and cut.shape == (48, 48) and cut.dtype == np.uint8
    assert find_face(detector, np.zeros((384, 384, 3), np.uint8)) is None

    out = tmp_path / "reframed"
    assert reframe_main(["--data", str(fer_dir), "--out", str(out), "--limit", "2", "--no-progress"]) == 0
    assert (out / "ferplus.csv").read_bytes() == (fer_dir / "ferplus.csv").read_bytes()
    for split in ("train", "val", "test"):
        copy, original = load_split(out, split), load_split(fer_dir, split)
        assert len(copy) == 14 and set(copy.files) <= set(original.files)
    with pytest.raises(SystemExit):  # never overwrites
        reframe_main(["--data", str(fer_dir), "--out", str(out), "--no-progress"])


def test_prune_cuts_a_narrower_network_that_trains(fer_dir: Path, tmp_path: Path) -> None:
    from emotionnet.models.emotionnet import EmotionNet
    from emotionnet.training.prune import main as prune_main, prune

    torch.manual_seed(0)
    net = EmotionNet(widths=(4, 8, 8, 16), fc=(32, 32), dropout=0.0, temperature=1.7).eval()
    for m in net.modules():  # non-trivial BatchNorm statistics, as after training
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(0.0, 1.0)
            m.running_var.uniform_(0.5, 2.0)
            m.bias.data.uniform_(-0.5, 0.5)
            m.weight.data.uniform_(0.1, 1.0)
    x = torch.randn(5, 1, 48, 48)
    same = prune(net, (4, 8, 8, 16), (32, 32))
    assert torch.equal(same(x), net(x))  # keeping every channel changes nothing
    cut = prune(net, (2, 4, 4, 8), (16, 8))
    assert cut(x).shape == (5, 7) and cut.temperature == 1.7 and cut.preprocess == net.preprocess
    assert sum(p.numel() for p in cut.parameters()) < sum(p.numel() for p in net.parameters()) / 2
    with pytest.raises(ValueError, match="cannot widen"):
        prune(net, (8, 8, 8, 16), (32, 32))
    net.save_pretrained(tmp_path / "src")
    assert prune_main(["--model", str(tmp_path / "src"), "--config", "tiny", "--out", str(tmp_path / "cut")]) == 0
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1", "--init-from", f"local-dir:{tmp_path / 'cut'}") == 0


def test_training_on_a_recut_view(fer_dir: Path, tmp_path: Path) -> None:
    """--recut shows some faces re-cut; the copy must match the data row for row."""
    import shutil

    from emotionnet.training.augment import mix_views
    from emotionnet.training.data import load_split, load_train_val
    from emotionnet.training.reframe import main as reframe_main

    a, b, gen = torch.zeros(64, 48, 48, dtype=torch.uint8), torch.ones(64, 48, 48, dtype=torch.uint8), torch.Generator()
    assert torch.equal(mix_views(a, b, 0.0, gen), a) and torch.equal(mix_views(a, b, 1.0, gen), b)
    half = mix_views(a, b, 0.5, gen.manual_seed(0))[:, 0, 0]
    assert 10 < int(half.sum()) < 54 and bool(((half == 0) | (half == 1)).all())  # whole rows from either view
    with pytest.raises(ValueError):
        mix_views(a, b, 1.5, gen)

    recut = tmp_path / "recut"
    assert reframe_main(["--data", str(fer_dir), "--out", str(recut), "--no-progress"]) == 0
    train, _, view = load_train_val(fer_dir, limit=20, seed=3, recut=recut)
    assert view is not None and view.shape == train.images.shape
    full = load_split(recut, "train")
    assert torch.equal(view, full.images[[full.files.index(f) for f in train.files]])
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1", "--recut", str(recut), "--recut-prob", "0.5") == 0
    assert json.loads((tmp_path / "run" / "train_config.json").read_text())["recut"] == str(recut)

    stranger = tmp_path / "stranger"
    shutil.copytree(recut, stranger)
    next((stranger / "train" / "angry").glob("*.jpg")).unlink()
    with pytest.raises(DatasetError, match="not a re-cut copy"):
        load_train_val(fer_dir, recut=stranger)


def test_low_resolution_view_blurs_chosen_faces_only(fer_dir: Path, tmp_path: Path) -> None:
    """--low-res-prob shows some faces as small faces arrive: detail gone, layout and size kept."""
    from emotionnet.training.augment import low_resolution

    x = torch.randn(200, 1, 48, 48, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(0)
    assert low_resolution(x, 0.0, 16, gen) is x
    assert torch.equal(gen.get_state(), torch.Generator().manual_seed(0).get_state())  # drew nothing
    out = low_resolution(x, 0.5, 16, gen)
    assert out.shape == x.shape and not torch.equal(out, x)
    same = (out == x).flatten(1).all(1)
    assert 60 < int(same.sum()) < 140  # about half the faces untouched, bit for bit
    detail = lambda t: (t[..., 1:] - t[..., :-1]).abs().mean(dim=(1, 2, 3))  # noqa: E731
    assert bool((detail(out[~same]) < 0.8 * detail(x[~same])).all())  # the others lost high frequencies
    again = low_resolution(x, 0.5, 16, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    for prob, side in ((1.5, 16), (0.5, 48), (0.5, 0)):
        with pytest.raises(ValueError):
            low_resolution(x, prob, side, gen)
    assert _train(fer_dir, tmp_path / "run", "--epochs", "1", "--low-res-prob", "0.5", "--low-res-min", "20") == 0
    saved = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert (saved["low_res_prob"], saved["low_res_min"]) == (0.5, 20)


def test_eval_ensemble(fer_dir: Path, tmp_path: Path) -> None:
    from emotionnet.models.emotionnet import EmotionNet
    from emotionnet.training.ensemble import Ensemble

    assert _train(fer_dir, tmp_path / "a", "--epochs", "1") == 0
    assert _train(fer_dir, tmp_path / "b", "--epochs", "1", "--seed", "3") == 0
    a, b = str(tmp_path / "a" / "best"), str(tmp_path / "b" / "best")

    def accuracy(*models: str) -> tuple[float, dict]:
        out = tmp_path / f"{len(models)}-{abs(hash(models))}.json"
        args = ["eval", "--model", *models, "--data", str(fer_dir), "--tta", "none", "--json", str(out)]
        assert main([*args, "--device", "cpu", "--no-progress"]) == 0
        report = json.loads(out.read_text())
        return report["FER2013"]["accuracy"], report

    single, _ = accuracy(a)
    twice, report = accuracy(a, a)  # the mean of one model's probabilities is that model
    assert twice == single and report["members"] == [a, a] and report["model"] == f"{a} + {a}"
    both, _ = accuracy(a, b)
    assert 0.0 <= both <= 1.0

    x = torch.randn(5, 1, 48, 48)
    one = EmotionNet(widths=(4, 4, 4, 4), fc=(8, 8), temperature=2.0).eval()
    two = EmotionNet(widths=(4, 4, 4, 4), fc=(8, 8), temperature=0.5).eval()
    with torch.no_grad():
        expected = (torch.softmax(one(x) / 2.0, 1) + torch.softmax(two(x) / 0.5, 1)) / 2
        assert torch.allclose(Ensemble([one, two])(x).exp(), expected, atol=1e-6)
    other = EmotionNet(widths=(4, 4, 4, 4), fc=(8, 8), num_classes=2, labels=["yes", "no"])
    with pytest.raises(ValueError, match="labels"):
        Ensemble([one, other])
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_epochs_and_says_how_to_go_on(fer_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["--data", str(fer_dir), "--out", str(out), "--config", "tiny", "--batch-size", "16", "--lr", "0.05"]
    proc = popen_ctrl_c(  # a real Ctrl-C: SIGINT to a training process
        [sys.executable, "-m", "emotionnet.training", *args, "--no-progress", "--epochs", "500"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (out / "last.ckpt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted: the epochs finished are in" in err and "--resume" in err and "Traceback" not in err
    done = torch.load(out / "last.ckpt", weights_only=True)["epoch"]
    assert 0 <= done < 499
    assert _train(fer_dir, out, "--epochs", "500", "--resume", "--stop-after", "1") == 0  # goes on from there
    assert torch.load(out / "last.ckpt", weights_only=True)["epoch"] == done + 1
