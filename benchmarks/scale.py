"""Throughput of emotionnet on Ray against a single process, on this machine.

Usage: python benchmarks/scale.py [--images 240] [--crops 3000] [--out benchmarks/results]

Two workloads: ``predict`` (detection + classification) on real photos, and ``classify`` on
FER2013 PrivateTest face crops (many small images: Ray's per-row overhead shows here). Each runs
in one process (the baseline, measured in the same run, with all cores as torch threads), then
through :func:`emotionnet.integrations.ray.analyze_images` on a local Ray instance with 1 and 2
actors, then on a Ray cluster of two local nodes (``ray start --head`` plus a second
``ray start --address`` on the loopback interface, one CPU each). Ray times are wall seconds
for the whole job, actor start-up included, after one warm-up job that starts the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import ray
import torch

from emotionnet import EmotionRecognizer, load_image
from emotionnet.integrations.ray import analyze_images

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PORT = 6391


def workloads(n_images: int, n_crops: int) -> dict[str, list[str]]:
    """Photo paths (the shared photos, repeated) and FER2013 crop paths."""
    photos = sorted(str(p) for p in (SHARED / "media").glob("*") if p.suffix in (".jpg", ".png"))
    photos = photos or [str(ROOT / "examples" / "images" / "astronaut.png")]
    out = {"predict": (photos * (n_images // len(photos) + 1))[:n_images]}
    crops = sorted(str(p) for p in (SHARED / "data" / "fer2013" / "test").glob("*/PrivateTest_*.jpg"))
    if crops:
        out["classify"] = crops[:n_crops]
    return out


def single_process(mode: str, paths: list[str], batch: int) -> float:
    rec = EmotionRecognizer(device="cpu")
    rec.predict(paths[0])  # warm-up
    t = time.perf_counter()
    for i in range(0, len(paths), batch):
        chunk = paths[i : i + batch]
        if mode == "classify":
            rec.classify_faces([load_image(p) for p in chunk])
        else:
            rec.predict(list(chunk))  # type: ignore[arg-type]
    return time.perf_counter() - t


def on_ray(mode: str, paths: list[str], batch: int, actors: int) -> float:
    analyze_images(paths[: batch * actors], mode=mode, concurrency=actors, batch_size=batch).materialize()
    t = time.perf_counter()
    rows = analyze_images(paths, mode=mode, concurrency=actors, batch_size=batch).materialize()
    seconds = time.perf_counter() - t
    assert rows.count() >= len(paths)
    return seconds


def ray_cli(*args: str) -> None:
    """The ``ray`` command line, run by this interpreter (same environment as the driver)."""
    cli = [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]
    subprocess.run([*cli, *args], check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=240, help="photos for the predict workload")
    parser.add_argument("--crops", type=int, default=3000, help="FER2013 crops for the classify workload")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    work = workloads(args.images, args.crops)
    rows: list[dict[str, object]] = []

    def record(mode: str, setup: str, workers: int, seconds: float) -> None:
        base = next((r["images/s"] for r in rows if r["workload"] == mode), None)
        one = next((r["images/s"] for r in rows if r["workload"] == mode and r["setup"].startswith("Ray")), None)
        speed = len(work[mode]) / seconds
        rows.append(
            {
                "workload": mode,
                "setup": setup,
                "workers": workers,
                "images": len(work[mode]),
                "seconds": round(seconds, 2),
                "images/s": round(speed, 1),
                "ratio": round(speed / base, 2) if isinstance(base, float) else 1.0,
                "vs 1 Ray worker": round(speed / one, 2) if isinstance(one, float) else None,
            }
        )
        print(rows[-1], flush=True)

    for mode, paths in work.items():
        record(mode, f"single process, {torch.get_num_threads()} torch threads", 1, single_process(mode, paths, 32))

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    for mode, paths in work.items():
        for actors in (1, 2):
            record(mode, "Ray, 1 local node", actors, on_ray(mode, paths, args.batch, actors))
    ray.shutdown()

    head = f"127.0.0.1:{PORT}"
    common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    ray_cli("start", "--head", f"--port={PORT}", "--include-dashboard=false", *common)
    try:
        ray_cli("start", f"--address={head}", *common)
        ray.init(address=head, log_to_driver=False, configure_logging=False)
        nodes = len([n for n in ray.nodes() if n["Alive"]])
        assert nodes == 2, f"expected 2 Ray nodes, found {nodes}"
        for mode, paths in work.items():
            record(mode, "Ray, 2 local nodes (1 CPU each)", 2, on_ray(mode, paths, args.batch, 2))
        ray.shutdown()
    finally:
        ray_cli("stop", "--force")

    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {os.cpu_count()} CPU cores, torch {torch.__version__}, ray {ray.__version__}"
    head = "| workload | setup | workers | images | s | images/s | vs single process | vs 1 Ray worker |"
    lines = [f"Machine: {machine}", "", head, "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [
        f"| {r['workload']} | {r['setup']} | {r['workers']} | {r['images']} | {r['seconds']} | {r['images/s']} "
        f"| x{r['ratio']} | {'' if r['vs 1 Ray worker'] is None else 'x' + str(r['vs 1 Ray worker'])} |"
        for r in rows
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.md").write_text(table + "\n")
    (out / "scale.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
