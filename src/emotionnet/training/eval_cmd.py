"""``emotionnet eval``: a model (or an ensemble) on FER2013 and FER+ labels, side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    """Run ``emotionnet eval``: FER2013 and FER+ side by side for one model or an ensemble.

    Args:
        args: The parsed ``emotionnet eval`` options.

    Returns:
        The exit code (0).

    Raises:
        InvalidInputError: ``--limit`` under 1.
        OutputError: ``--json`` or ``--confusion`` would overwrite a file of the dataset.
    """
    import cv2
    import torch

    from .._outputs import atomic_open, atomic_path, check_output
    from ..errors import InvalidInputError, OutputError
    from ..models.emotionnet import EmotionNet, channels_last
    from ..models.pretrained import load_model
    from .data import load_split
    from .ensemble import Ensemble
    from .evaluate import VIEWS, benchmark_table, confusion_image, evaluate, fit_temperature, predict_logits
    from .ferplus import CSV_NAME, read_votes
    from .onnx_eval import OnnxNetwork, onnx_network

    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be >= 1, got {args.limit}")
    data = Path(args.data).resolve()
    for target, kind in ((args.confusion, "plot"), (args.json, "json")):
        if target:
            path = check_output(target, kind=kind).resolve()  # before the work, not after it
            if path.exists() and path.is_relative_to(data):
                raise OutputError(f"{target!r} is a file of the dataset {args.data!r}; write the report elsewhere")
    name = " + ".join(args.model)
    model: EmotionNet | Ensemble | OnnxNetwork
    if args.runtime == "onnxruntime":
        if len(args.model) > 1 or args.precision == "bf16":
            raise InvalidInputError("--runtime onnxruntime evaluates one model, in fp32 or int8 (no ensemble, no bf16)")
        if args.onnx and args.precision != "auto":
            raise InvalidInputError("--onnx FILE computes in the file's own precision: leave --precision out")
        model = onnx_network(args.model[0], args.onnx, precision=args.precision)
        name += f" on ONNX Runtime ({model.path.name if model.path else 'export'})"
    elif args.onnx:
        raise InvalidInputError("--onnx FILE runs on ONNX Runtime: add --runtime onnxruntime")
    elif args.precision == "int8":
        raise InvalidInputError("--precision int8 runs a model's shipped int8 ONNX file: add --runtime onnxruntime")
    else:
        members = [channels_last(load_model(m, device=args.device)) for m in args.model]
        model = members[0] if len(members) == 1 else Ensemble(members)
    faces = load_split(args.data, args.split, args.cache_dir)
    if args.limit:
        pick = torch.randperm(len(faces), generator=torch.Generator().manual_seed(0))[: args.limit]
        faces = faces.subset(pick)
    labels = {"FER2013": faces.labels}
    if (Path(args.data) / CSV_NAME).is_file():
        labels["FER+"] = read_votes(args.data, faces.files)[1]
    bf16 = args.precision == "bf16"
    temperature = model.temperature
    if args.fit_temperature:
        val = load_split(args.data, "val", args.cache_dir)
        y = val.labels if args.fit_temperature == "fer2013" else read_votes(args.data, val.files)[1]
        logits = predict_logits(model, val, bf16=bf16)
        temperature = fit_temperature(logits[y >= 0], y[y >= 0])
        print(f"temperature {temperature:.2f} (fitted on PublicTest, {args.fit_temperature} labels)")
    views = VIEWS if args.tta == "all" else (args.tta,)
    results = evaluate(
        model, faces, labels, views=views, temperature=temperature, bf16=bf16, progress=not args.no_progress
    )
    split = "PrivateTest" if args.split == "test" else "PublicTest"
    precision = model.precision if isinstance(model, OnnxNetwork) else "bf16" if bf16 else "fp32"
    print(f"{name} on {split}" + (f", precision={precision}" if precision else ""))
    print(benchmark_table(results))
    if "FER+" not in labels:
        print(f"(no FER+ column: {Path(args.data) / CSV_NAME} not found)")
    if args.confusion:
        with atomic_path(args.confusion) as tmp:
            fer = results["FER2013"].single
            cv2.imwrite(str(tmp), confusion_image(fer.confusion, f"{name} - {split} - FER2013 single crop"))
    if args.json:
        meta = {"model": name, "members": args.model, "split": split, "precision": precision}
        meta |= {"runtime": args.runtime, "onnx": args.onnx}
        with atomic_open(args.json, "w", kind="json") as f:
            f.write(json.dumps({**meta, **{k: v.to_dict() for k, v in results.items()}}, indent=2))
    return 0
