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

from _fer2013 import add_arguments, load

from emotionnet import EmotionRecognizer, InvalidInputError

CONFIGS = {
    "fp32 (onnxruntime, default)": {"runtime": "onnxruntime", "precision": "fp32"},
    "fp32 (torch)": {"runtime": "torch", "precision": "fp32"},
    "bf16 (torch)": {"runtime": "torch", "precision": "bf16"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args()
    split = load(args)
    print(f"{split.name}: {len(split.labels)} faces (FER+ 7-class: {int(split.counted.sum())})\n")
    print("| model | configuration | FER2013 | FER+ 7-class |")
    print("|---|---|---:|---:|")
    for model in args.models:
        for label, kwargs in CONFIGS.items():
            try:
                rec = EmotionRecognizer(model, device="cpu", detector=None, batch_size=256, **kwargs)  # type: ignore[arg-type]
            except InvalidInputError:
                continue
            acc_fer, acc_plus = split.accuracy(rec.predict_proba(split.crops).argmax(1))
            print(f"| {model} | {label} | {acc_fer:.2%} | {acc_plus:.2%} |")


if __name__ == "__main__":
    main()
