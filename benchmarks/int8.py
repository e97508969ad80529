"""What int8 buys on this CPU: each network's ONNX file in float and in int8, side by side.

Usage: python benchmarks/int8.py [--configs compact wide] [--rounds 3] [--batch 64] [--threads N]

Each network (random weights: speed does not depend on them) is written as a shipped float file
(``export_onnx(half_storage=True)``) and as ``quantize_int8`` writes int8 (calibrated on 256 random
faces: the ranges, not the speed, depend on the faces), then run on ONNX Runtime with emotionnet's
session settings. Rounds alternate the files so that drift in the machine's speed hits all alike;
the table gives file sizes, the median faces/s on batches and ms at batch 1, and each ratio to
``compact`` in float (the default's file until 1.1) measured in the same run. How much int8 pays
depends on the CPU: with AVX-512 VNNI or AVX-VNNI, ONNX Runtime multiplies int8 in one instruction;
on AVX2 alone it takes two (``lscpu | grep -o vnni`` says which this is; the script prints it too).
On the project's AVX2 machine compact int8 ran 1.58x float on batches, wide int8 1.9x.
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

from emotionnet.models.configs import CONFIGS
from emotionnet.models.emotionnet import EmotionNet
from emotionnet.models.export import export_onnx, quantize_int8
from emotionnet.runtimes.ort import cpu_session
from emotionnet.runtimes.threads import resolve_threads


def _vnni() -> str:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    return "yes" if "vnni" in flags else "no (AVX2 or older)" if "avx2" in flags else "no"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=["compact", "wide"], choices=sorted(CONFIGS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = resolve_threads(args.threads)
    rng = np.random.default_rng(0)
    sessions, sizes, sides = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for config in dict.fromkeys(["compact", *args.configs]):
            net = EmotionNet(**CONFIGS[config]).eval()
            side = net.input_size
            for precision in ("float", "int8"):
                path = Path(tmp) / f"{config}-{precision}.onnx"
                if precision == "float":
                    export_onnx(net, path, half_storage=True)
                else:
                    quantize_int8(net, path, rng.integers(0, 256, (256, side, side), dtype=np.uint8))
                key = f"{config} {precision}"
                sessions[key], sizes[key], sides[key] = cpu_session(path, threads), path.stat().st_size, side
        rate: dict[str, list[float]] = {k: [] for k in sessions}
        single: dict[str, list[float]] = {k: [] for k in sessions}
        for _ in range(args.rounds):
            for key, s in sessions.items():
                batch = rng.standard_normal((args.batch, 1, sides[key], sides[key])).astype(np.float32)
                rate[key].append(args.batch / timed(lambda s=s, b=batch: s.run(None, {"faces": b}), 20, warmup=3))
                single[key].append(1e3 * timed(lambda s=s, b=batch[:1]: s.run(None, {"faces": b}), 200, warmup=20))
    base_rate, base_ms = statistics.median(rate["compact float"]), statistics.median(single["compact float"])
    print(f"ONNX Runtime, {threads} threads, batch {args.batch}, median of {args.rounds} alternating rounds")
    print(f"VNNI (int8 dot products in one instruction): {_vnni()}\n")
    print("| file | MB | faces/s | x compact float | ms at batch 1 | x compact float |")
    print("|---|---:|---:|---:|---:|---:|")
    for key in sessions:
        r, ms = statistics.median(rate[key]), statistics.median(single[key])
        print(f"| {key} | {sizes[key] / 1e6:.1f} | {r:,.0f} | {r / base_rate:.2f} | {ms:.2f} | {base_ms / ms:.2f} |")


if __name__ == "__main__":
    main()
