"""How fast narrower EmotionNets classify on the default CPU runtime: the choice of a distilled student.

Usage: python benchmarks/student_speed.py [--rounds 3] [--batch 64] [--threads N]

Each candidate (random weights: speed does not depend on them) is exported to ONNX exactly as a
shipped model is (``export_onnx``), then run on ONNX Runtime with emotionnet's session settings.
Rounds alternate the candidates so that drift in the machine's speed hits all alike; the table
gives the median faces/s on batches and ms at batch 1, and each ratio to ``compact`` (the
shipped default's architecture) measured in the same run. fer's classifier did 2,743 faces/s on
this machine (``compare_fer.py``): the issue's per-face target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench import timed

from emotionnet.models.emotionnet import EmotionNet
from emotionnet.models.export import export_onnx
from emotionnet.runtimes.ort import cpu_session
from emotionnet.runtimes.threads import resolve_threads

CANDIDATES = {  # name: (stage widths, fully connected widths)
    "compact": ((32, 64, 128, 256), (1024, 1024)),
    "slim": ((24, 48, 96, 192), (1024, 1024)),
    "w24-fc512": ((24, 48, 96, 192), (512, 512)),
    "w16": ((16, 32, 64, 128), (1024, 1024)),
    "w16-fc512": ((16, 32, 64, 128), (512, 512)),
    "w16-fc256": ((16, 32, 64, 128), (256, 256)),
    "w12-fc256": ((12, 24, 48, 96), (256, 256)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = resolve_threads(args.threads)
    sessions, params = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (widths, fc) in CANDIDATES.items():
            net = EmotionNet(widths=widths, fc=fc).eval()
            params[name] = sum(p.numel() for p in net.parameters())
            path = Path(tmp) / f"{name}.onnx"
            export_onnx(net, path, half_storage=True)
            sessions[name] = cpu_session(path, threads)
        rng = np.random.default_rng(0)
        batch = rng.standard_normal((args.batch, 1, 48, 48)).astype(np.float32)
        one = batch[:1]
        rate: dict[str, list[float]] = {n: [] for n in sessions}
        single: dict[str, list[float]] = {n: [] for n in sessions}
        for _ in range(args.rounds):
            for name, s in sessions.items():
                rate[name].append(args.batch / timed(lambda s=s: s.run(None, {"faces": batch}), 20, warmup=3))
                single[name].append(1e3 * timed(lambda s=s: s.run(None, {"faces": one}), 200, warmup=20))
    base_rate, base_ms = statistics.median(rate["compact"]), statistics.median(single["compact"])
    print(f"ONNX Runtime, {threads} threads, batch {args.batch}, median of {args.rounds} alternating rounds\n")
    print("| network | widths | fc | params | faces/s | x compact | ms at batch 1 | x compact |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, (widths, fc) in CANDIDATES.items():
        r, ms = statistics.median(rate[name]), statistics.median(single[name])
        print(
            f"| {name} | {'/'.join(map(str, widths))} | {'/'.join(map(str, fc))} | {params[name] / 1e6:.2f}M | "
            f"{r:,.0f} | {r / base_rate:.2f} | {ms:.2f} | {base_ms / ms:.2f} |"
        )


if __name__ == "__main__":
    main()
