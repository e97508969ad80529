"""Markdown about models: the table of registered models in docs/models.md, and Hub model cards."""

from __future__ import annotations

import json
from typing import Any

from .registry import DEFAULT_MODEL, get_model_entry, list_models


def model_table() -> str:
    """The markdown table of registered models that docs/models.md shows (a test keeps them equal)."""
    head = (
        "| model | params | FER2013 PrivateTest | + flip | + ten-crop | FER+ PrivateTest | + ten-crop "
        "| disgust recall | ECE, own labels (T) | CPU file, own labels | files |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    rows = []
    for name in list_models():
        e = get_model_entry(name)
        m = e.metrics
        where = "bundled" if e.weights.bundled else f"{e.weights.repo_id}@{(e.weights.revision or '')[:8]}"
        onnx = f" + ONNX {e.onnx_precision} {e.onnx.size / 1e6:.1f} MB" if e.onnx else ""
        own = "privatetest_ece_calibrated" in m  # a model's calibration is against the labels it learnt
        ece = "privatetest_ece_calibrated" if own else "privatetest_ferplus_ece_calibrated"
        cpu = "privatetest_acc" if own else "privatetest_ferplus_acc"  # the shipped ONNX file's, single crop
        cpu += "_int8" if e.onnx_precision == "int8" else ""

        def pct(key: str, m: dict[str, float] = m) -> str:
            return f"{m[key]:.2%}" if key in m else "n/a"

        rows.append(
            f"| `{name}`{' (default)' if name == DEFAULT_MODEL else ''} | {e.num_params / 1e6:.2f}M | "
            f"{pct('privatetest_acc')} | {pct('privatetest_acc_flip')} | {pct('privatetest_acc_tencrop')} | "
            f"{pct('privatetest_ferplus_acc')} | {pct('privatetest_ferplus_acc_tencrop')} | "
            f"{pct('privatetest_recall_disgust')} | {pct(ece)} ({e.temperature:.2f}) | "
            f"{pct(cpu) + ' ' + e.onnx_precision if e.onnx else 'n/a'} | "
            f"{where}, {e.weights.size / 1e6:.1f} MB{onnx}, sha256 `{e.weights.sha256[:12]}` |"
        )
    return "\n".join([head, *rows])


def model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The README.md of a Hub-ready weights folder.

    Args:
        config: The model's ``config.json`` (architecture, temperature, preprocessing, labels).
        metrics: ``emotionnet eval --json`` output to include, or ``{}``.

    Returns:
        The card, markdown with YAML front matter.
    """
    lines = [
        "---",
        "library_name: emotionnet",
        "license: mit",
        "tags: [facial-emotion-recognition, fer2013, pytorch]",
        "datasets: [fer2013]",
        "---",
        "# EmotionNet",
        "",
        "VGG-style facial emotion classifier (Khaireddin & Chen 2021 layout) trained on FER2013 with "
        'emotionnet\'s own training code. Load it with `emotionnet.load_model("<this repo>")`.',
        "",
        f"- widths {config.get('widths')}, fc {config.get('fc')}, input {config.get('input_size')}px grayscale",
        f"- calibration temperature {config.get('temperature', 1.0)}",
        f"- preprocessing {config.get('preprocess')}",
        f"- labels {config.get('labels')}",
        "",
        "FER2013 images (Goodfellow et al. 2013, ICML challenge). Where the training used `--targets ferplus` "
        "or `mix`, the labels include the FER+ votes (Barsoum et al. 2016, Microsoft, MIT licence).",
    ]
    if metrics:
        lines += ["", "## Evaluation", "", "```", json.dumps(metrics, indent=2), "```"]
    return "\n".join(lines) + "\n"
