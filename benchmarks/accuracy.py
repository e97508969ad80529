"""Accuracy through the public API: EmotionRecognizer.predict_proba on FER2013 crops, per runtime.

Usage: python benchmarks/accuracy.py [--models default emotionnet_compact.ferplus] [--split val|test]

For each model and each configuration (the default ONNX Runtime path, torch fp32, torch bf16),
the 48x48 crops of the split go through ``EmotionRecognizer(...).predict_proba`` exactly as
an application's faces would, and accuracy is reported against the FER2013 labels and the FER+
7-class labels (ferplus.csv). Use ``--split val`` (PublicTest) for every choice; look at
``--split test`` (PrivateTest) once per finished model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emotionnet import EmotionRecognizer, InvalidInputError
from emotionnet.training.data import load_split
from emotionnet.training.ferplus import read_votes

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "fp32 (onnxruntime, default)": {"runtime": "onnxruntime", "precision": "fp32"},
    "fp32 (torch)": {"runtime": "torch", "precision": "fp32"},
    "bf16 (torch)": {"runtime": "torch", "precision": "bf16"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--split", default="val", choices=["val", "test"], help="val = PublicTest, test = PrivateTest")
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "emotionnet"))
    args = parser.parse_args()
    faces = load_split(args.data, args.split, args.cache_dir)
    crops = faces.images.numpy()
    fer = faces.labels.numpy()
    ferplus = read_votes(args.data, faces.files)[1].numpy()
    counted = ferplus >= 0
    split = "PublicTest" if args.split == "val" else "PrivateTest"
    print(f"{split}: {len(fer)} faces (FER+ 7-class: {int(counted.sum())})\n")
    print("| model | configuration | FER2013 | FER+ 7-class |")
    print("|---|---|---:|---:|")
    for model in args.models:
        for label, kwargs in CONFIGS.items():
            try:
                rec = EmotionRecognizer(model, device="cpu", detector=None, batch_size=256, **kwargs)  # type: ignore[arg-type]
            except InvalidInputError:
                continue
            pred = rec.predict_proba(crops).argmax(1)
            acc_fer = (pred == fer).mean()
            acc_plus = (pred[counted] == ferplus[counted]).mean()
            print(f"| {model} | {label} | {acc_fer:.2%} | {acc_plus:.2%} |")


if __name__ == "__main__":
    main()
