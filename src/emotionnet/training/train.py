"""Resumable, seeded EmotionNet training on FER2013 (single process or torchrun DDP)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from .._outputs import atomic_dir, atomic_open, atomic_path
from ..errors import InvalidInputError, OutputError
from ..models.configs import CONFIGS
from ..models.emotionnet import EmotionNet, channels_last
from ..models.pretrained import create_model, load_model
from ..preprocessing import FacePreprocess
from ..runtimes.device import fast_bf16
from .augment import augment_batch, low_resolution, mix_views
from .config import TrainConfig, check_resume_settings
from .data import FaceSet, load_train_val
from .distill import teacher_probabilities
from .ferplus import read_votes, soft_targets
from .losses import distillation_loss, soft_cross_entropy
from .qat import dequantise, is_quantised, quantise

log = logging.getLogger("emotionnet.train")


def _setup_distributed() -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def _autocast(device: torch.device) -> torch.autocast:
    """bfloat16 autocast where the hardware has it (AVX-512/AMX CPUs, recent GPUs); fp32 elsewhere:
    on an AVX2-only CPU bf16 is emulated and a training step is 6-17x slower than in fp32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast_bf16(device))


def _inputs(images: torch.Tensor, pre: FacePreprocess, device: torch.device) -> torch.Tensor:
    """uint8 48x48 faces -> normalised model input at the network's own size (40 px for ``paper``)."""
    return pre.resize(pre.normalize(images))


@torch.no_grad()
def evaluate_accuracy(
    model: nn.Module, faces: FaceSet, pre: FacePreprocess, device: torch.device, labels: torch.Tensor | None = None
) -> float:
    """Single-crop top-1 accuracy of ``model`` on ``faces`` (against ``labels`` if given; -1 rows skipped).

    Args:
        model: The network.
        faces: The faces.
        pre: Their normalisation.
        device: Where the model runs.
        labels: Labels to score against instead of ``faces.labels``.
    """
    model.eval()
    labels = faces.labels if labels is None else labels
    correct = 0
    for start in range(0, len(faces), 512):
        x = _inputs(faces.images[start : start + 512], pre, device).to(device, memory_format=torch.channels_last)
        with _autocast(device):
            pred = model(x).argmax(1).cpu()
        correct += int((pred == labels[start : start + 512]).sum())
    return correct / max(int((labels >= 0).sum()), 1)


def _class_weights(labels: torch.Tensor, mode: str, num_classes: int = 7) -> torch.Tensor | None:
    """Loss weights per class: ``none`` (unweighted), ``sqrt`` (1/sqrt(frequency)) or ``inverse`` (1/frequency),
    scaled so the average weight over training samples is 1."""
    counts = torch.bincount(labels, minlength=num_classes).double().clamp(min=1)
    if mode == "none":
        return None
    if mode not in ("sqrt", "inverse"):
        raise InvalidInputError(f"class_balance must be 'none', 'sqrt' or 'inverse', got {mode!r}")
    w = counts.rsqrt() if mode == "sqrt" else 1 / counts
    return (w * counts.sum() / (w * counts).sum()).float()


def train(
    cfg: TrainConfig, *, resume: bool = False, progress: bool = True, stop_after: int | None = None
) -> dict[str, Any]:
    """Train, checkpointing every epoch to ``cfg.out``; returns the final metrics.

    ``out/last.ckpt`` holds model, optimiser, scheduler, EMA, epoch, best metric and RNG
    state; ``out/best/`` holds the EMA weights with the best PublicTest accuracy as
    ``config.json`` + ``model.safetensors``. ``cfg.init_from`` starts from the weights of an
    earlier run's ``best/`` (a second schedule, e.g. at a lower rate). Every epoch reseeds from ``(seed, epoch)``, so
    ``resume=True`` continues exactly where the last finished epoch left off; ``stop_after``
    ends this invocation after that many epochs (resume later to finish the schedule).
    Under torchrun, ``in_sync`` in the result says whether all ranks ended with equal weights.

    Args:
        cfg: The run's settings.
        resume: Continue from ``cfg.out/last.ckpt`` if it exists.
        progress: Show progress bars.
        stop_after: Stop this invocation after that many epochs.

    Returns:
        ``best_val_acc``, ``history`` (one row per epoch) and ``in_sync``.
    """
    rank, world, device = _setup_distributed()
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"The run folder {cfg.out!r} is a file")
    if not resume and any((out / name).exists() for name in ("last.ckpt", "best")):
        raise OutputError(
            f"{cfg.out!r} already holds a run (last.ckpt, best/), which a new run would overwrite: "
            "continue it with --resume (resume=True), or choose another run folder"
        )
    if resume and (out / "last.ckpt").exists():
        check_resume_settings(cfg, out / "train_config.json")
    train_set, val_set, recut = load_train_val(cfg.data, cfg.cache_dir, cfg.limit, cfg.seed, cfg.recut)
    votes = _votes(cfg, train_set)[0]
    if cfg.targets != "fer2013" and cfg.unvoted == "drop":  # faces no annotator gave one of our seven
        keep = (votes.sum(1) > 0).nonzero().squeeze(1)
        log.info("dropping %d training faces with no vote for our seven", len(train_set) - len(keep))
        train_set, votes, recut = train_set.subset(keep), votes[keep], None if recut is None else recut[keep]
    targets = soft_targets(train_set.labels, votes, cfg.targets, cfg.mix_alpha)
    teacher = None
    if cfg.teachers:
        teacher = teacher_probabilities(cfg.teachers, train_set, cfg.distill_temperature, cfg.cache_dir)
        log.info("distilling from %s (weight %s, tau %s)", cfg.teachers, cfg.distill_weight, cfg.distill_temperature)
    # Checkpoints are chosen on the PublicTest benchmark of the label set being learnt.
    val_labels = _votes(cfg, val_set)[1] if cfg.targets == "ferplus" else val_set.labels

    torch.manual_seed(cfg.seed)
    # The network's own input size unless told otherwise (40 px for ``paper``); stored in config.json.
    preprocess = cfg.preprocess or FacePreprocess(size=CONFIGS[cfg.config]["input_size"]).to_dict()
    net = create_model(cfg.config, preprocess=preprocess)
    pre = net.preprocess
    if cfg.init_from:
        net.load_state_dict(load_model(cfg.init_from).state_dict())
        log.info("initialised from %s", cfg.init_from)
    if cfg.qat:  # through int8 rounding; PublicTest is then scored as the int8 file computes
        quantise(net)
    model: nn.Module = channels_last(net.to(device))
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
    core: nn.Module = model
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.SGD(
        core.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True, weight_decay=cfg.weight_decay
    )
    steps = len(train_set) // (cfg.batch_size * world)
    if steps < 1:
        raise InvalidInputError(f"{len(train_set)} training images are fewer than a batch of {cfg.batch_size * world}")
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps)
    class_weights = _class_weights(train_set.labels, cfg.class_balance)
    if class_weights is not None:
        class_weights = class_weights.to(device)
    start_epoch, best, history = 0, -1.0, []
    ckpt_path = out / "last.ckpt"
    if rank == 0:  # the folder once the data and settings are known good; then what a killed write left
        out.mkdir(parents=True, exist_ok=True)
        if not (resume and ckpt_path.exists()):  # a resumed run keeps the settings it started with
            with atomic_open(out / "train_config.json", kind="json") as f:
                f.write(json.dumps(asdict(cfg), indent=2))
        left_over = ("last.ckpt.partial", "best.partial", ".last.*.part.ckpt", ".best.*.part")  # before 1.0, now
        for left in (p for pattern in left_over for p in out.glob(pattern)):  # what a killed write left
            shutil.rmtree(left, ignore_errors=True) if left.is_dir() else left.unlink(missing_ok=True)
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=True)
        if state["scheduler"].get("total_steps", scheduler.total_steps) != scheduler.total_steps:
            raise InvalidInputError(
                f"--resume: the run's schedule has {state['scheduler']['total_steps']} steps and these settings give "
                f"{scheduler.total_steps} (another number of processes, --epochs, --batch-size or --limit)"
            )
        core.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best, history = state["epoch"] + 1, state["best"], json.loads(state["history"])
        log.info("resumed from %s at epoch %d", ckpt_path, start_epoch + 1)

    end_epoch = cfg.epochs if stop_after is None else min(cfg.epochs, start_epoch + stop_after)
    if rank == 0:
        precision = "bf16" if fast_bf16(device) else "fp32"
        print(f"{cfg.config}: {device.type}, {precision}, {steps} steps an epoch", flush=True)
    for epoch in range(start_epoch, end_epoch):
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        order = torch.randperm(len(train_set), generator=gen)
        model.train()
        t0, loss_sum = time.perf_counter(), 0.0
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress or rank != 0, leave=False)
        for step in bar:
            idx = order[(step * world + rank) * cfg.batch_size : (step * world + rank + 1) * cfg.batch_size]
            images = train_set.images[idx]
            if recut is not None:  # the re-cut view of some faces; teachers saw the original
                images = mix_views(images, recut[idx], cfg.recut_prob, gen)
            x = _inputs(images.to(device), pre, device)
            x = augment_batch(low_resolution(x, cfg.low_res_prob, cfg.low_res_min, gen), gen)
            x = x.contiguous(memory_format=torch.channels_last)
            with _autocast(device):
                logits = model(x)
                loss = soft_cross_entropy(
                    logits, targets[idx].to(device), cfg.label_smoothing, class_weights, train_set.labels[idx]
                )
                if teacher is not None:
                    kd = distillation_loss(logits, teacher[idx].to(device), cfg.distill_temperature)
                    loss = (1 - cfg.distill_weight) * loss + cfg.distill_weight * kd
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            ema.update_parameters(core)
            loss_sum += float(loss.detach())
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss_sum / (step + 1):.3f}", lr=f"{scheduler.get_last_lr()[0]:.4f}")
        if rank == 0:
            val_acc = evaluate_accuracy(ema.module, val_set, pre, device, val_labels)
            row = {
                "epoch": epoch + 1,
                "loss": loss_sum / steps,
                "val_acc": val_acc,
                "seconds": time.perf_counter() - t0,
            }
            history.append(row)
            if val_acc > best:
                best = val_acc
                save_weights(ema.module, out / "best", pre, extra={"epoch": epoch + 1, "val_acc": val_acc})
            with atomic_path(ckpt_path) as tmp:  # never a half-written checkpoint
                torch.save(
                    {
                        "model": core.state_dict(),
                        "ema": ema.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "epoch": epoch,
                        "best": best,
                        "history": json.dumps(history),
                        "rng": torch.get_rng_state(),
                    },
                    tmp,
                )
            print(
                f"epoch {epoch + 1:3d}/{cfg.epochs} loss {row['loss']:.4f} val_acc {val_acc:.4f} "
                f"best {best:.4f} {row['seconds']:.0f}s",
                flush=True,
            )
        if world > 1:
            dist.barrier()
    in_sync = True
    if world > 1:
        fingerprint = torch.stack([p.detach().double().sum() for p in core.parameters()]).to(device)
        gathered = [torch.zeros_like(fingerprint) for _ in range(world)]
        dist.all_gather(gathered, fingerprint)
        in_sync = all(torch.equal(g, gathered[0]) for g in gathered)
        dist.barrier()  # no rank closes its connections while another still reads from them
        dist.destroy_process_group()
    if rank == 0 and world > 1:
        print(f"{world} ranks in sync: {in_sync}", flush=True)
    return {"best_val_acc": best, "history": history, "in_sync": in_sync}


def _votes(cfg: TrainConfig, faces: FaceSet) -> tuple[torch.Tensor, torch.Tensor]:
    """FER+ votes and benchmark labels of ``faces`` (zeros / FER2013 labels when not needed)."""
    if cfg.targets == "fer2013":
        return torch.zeros(len(faces), 7), faces.labels
    return read_votes(cfg.data, faces.files)


def save_weights(model: nn.Module, directory: Path, pre: FacePreprocess, extra: dict[str, Any] | None = None) -> None:
    """Write ``config.json`` + ``model.safetensors`` (fp32) and the preprocessing beside them.

    Args:
        model: An :class:`EmotionNet`.
        directory: The folder to write.
        pre: Its preprocessing.
        extra: More keys for ``config.json`` (epoch, metric).
    """
    assert isinstance(model, EmotionNet)
    model = dequantise(model) if is_quantised(model) else model  # the float weights a --qat run learnt
    with atomic_dir(directory) as partial:  # a kill mid-write leaves the old files whole
        model.save_pretrained(partial)
        meta = {"preprocess": pre.to_dict(), **(extra or {})}
        (partial / "training.json").write_text(json.dumps(meta, indent=2))
