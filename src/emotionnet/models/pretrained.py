"""``create_model`` and ``load_model``: an architecture, a registered name, a Hub repo or a folder -> EmotionNet."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from ..errors import EmotionNetError, InvalidInputError, ModelNotFoundError, WeightsError
from ..runtimes.device import resolve_device
from .configs import CONFIGS
from .emotionnet import WEIGHTS_NAME, EmotionNet, load_weights
from .hub import download, fetch
from .registry import ModelEntry, get_model_entry, list_models

CONFIG_NAME = "config.json"
MAX_PARAMS = 500_000_000
"""A ``config.json`` describing a larger network is refused before anything is allocated."""
HUB_PREFIX = "hf-hub:"
"""``load_model("hf-hub:owner/name")`` always means the Hugging Face Hub."""
LOCAL_PREFIX = "local-dir:"
"""``load_model("local-dir:path")`` always means a local folder."""
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def load_model(
    model: str | os.PathLike | ModelEntry = "default",
    *,
    revision: str | None = None,
    device: str | torch.device = "auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> EmotionNet:
    """Load a trained :class:`EmotionNet` in eval mode on ``device``.

    Args:
        model: ``"default"``, a registered name (see :func:`list_models`), a
            :class:`ModelEntry`, a folder written by ``save_pretrained`` (``"local-dir:PATH"``,
            or any path that is not ``owner/name``-shaped), or a Hub repo holding
            ``config.json`` + ``model.safetensors`` (``"hf-hub:owner/name"``, or a bare
            ``"owner/name"`` when no local folder of that name exists: an ambiguous bare name is
            refused).
        revision: Hub revision for a repo id (pin a 40-hex commit for reproducibility).
            Registered names are already pinned.
        device: Where to put the model: ``"auto"`` (as :class:`EmotionRecognizer`: CUDA, then
            MPS, then the CPU), ``"cpu"``, ``"cuda[:N]"``, ``"mps"``.
        cache_dir: Hub cache folder (default: ``HF_HOME``'s).
        force_download: Download again even if cached.

    Returns:
        An :class:`EmotionNet` in eval mode on ``device``, its ``preprocess`` and ``labels`` set.

    Raises:
        ModelNotFoundError: unknown name, missing directory, or repo not on the Hub.
        OfflineError: not cached and the Hub is unreachable.
        ChecksumError: a registered file's sha256 does not match.
        WeightsError: corrupt, truncated or mismatched weights.
        InvalidInputError: ``model`` is empty or of another type.

    Registered and Hub checkpoints carry their preprocessing, labels and calibration
    temperature (``model.preprocess``, ``model.labels``, ``model.temperature``).
    """
    dev = resolve_device(device)
    if isinstance(model, ModelEntry) or (isinstance(model, str) and (model == "default" or model in list_models())):
        entry = model if isinstance(model, ModelEntry) else get_model_entry(model)
        path = fetch(entry.weights, cache_dir=cache_dir, force_download=force_download)
        net = EmotionNet(
            **entry.architecture,
            temperature=entry.temperature,
            preprocess=entry.preprocess.to_dict(),
            labels=list(entry.labels),
        )
        return load_weights(net, path, dev)
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(
            f"model must be a registered name, a folder, a Hub repo id or a ModelEntry, got {type(model).__name__}"
        )
    name = os.fspath(model)
    if not name.removeprefix(LOCAL_PREFIX).removeprefix(HUB_PREFIX).strip():
        raise InvalidInputError(f"model is empty ({name!r}): give a registered name, a folder or a Hub repo id")
    if name.startswith(LOCAL_PREFIX) or (not name.startswith(HUB_PREFIX) and not _REPO_ID.match(name)):
        path = Path(name.removeprefix(LOCAL_PREFIX))
        if not path.is_dir():
            known = ", ".join(list_models()) or "none registered yet"
            raise ModelNotFoundError(
                f"Unknown model {name!r}: not a registered name ({known}) nor a model folder; "
                "a Hub repo is written 'hf-hub:owner/name'"
            )
        return _from_folder(path).to(dev)
    if not name.startswith(HUB_PREFIX) and Path(name).exists():
        raise ModelNotFoundError(
            f"{name!r} is both a local folder and a Hub repo id; write 'local-dir:{name}' or 'hf-hub:{name}'"
        )
    name = name.removeprefix(HUB_PREFIX)
    if not _REPO_ID.match(name):
        raise ModelNotFoundError(f"{name!r} is not a Hub repo id ('owner/name')")
    # Both files through emotionnet.models.hub, so Hub failures arrive as emotionnet errors, then load locally.
    hub = {"revision": revision, "cache_dir": cache_dir, "force_download": force_download}
    config = download(name, CONFIG_NAME, **hub)  # type: ignore[arg-type]
    download(name, WEIGHTS_NAME, missing_file=WeightsError, missing_hint="; only safetensors weights are loaded", **hub)  # type: ignore[arg-type]
    return _from_folder(config.parent).to(dev)


def _from_folder(folder: Path) -> EmotionNet:
    """``EmotionNet.from_pretrained`` on a local folder, with a broken ``config.json`` reported as such."""
    _check_config(folder / CONFIG_NAME)
    try:
        return EmotionNet.from_pretrained(folder)
    except EmotionNetError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, OSError) as exc:  # JSONDecodeError is a ValueError
        raise WeightsError(
            f"{folder / CONFIG_NAME} is not a valid EmotionNet config ({type(exc).__name__}: {exc}); "
            "expected the config.json written by save_pretrained"
        ) from exc


def _check_config(path: Path) -> None:
    """Refuse a ``config.json`` whose network would be absurdly large before anything is allocated
    (a file can claim widths that need terabytes).

    Raises:
        WeightsError: not JSON, not an object, or sizes outside sane bounds.
    """
    import json

    try:
        config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise WeightsError(f"{path} is not a valid EmotionNet config (not JSON: {exc})") from exc
    if not isinstance(config, dict):
        raise WeightsError(f"{path} is not a valid EmotionNet config (a JSON object is expected)")
    widths, fc = config.get("widths", [32, 64, 128, 256]), config.get("fc", [1024, 1024])
    side, classes = config.get("input_size", 48), config.get("num_classes", 7)
    sizes = [*widths, *fc, side, classes] if isinstance(widths, list) and isinstance(fc, list) else [None]
    if len(sizes) != 8 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in sizes):
        raise WeightsError(f"{path} is not a valid EmotionNet config (4 widths, 2 fc, input_size: positive ints)")
    convs = sum(9 * (a + b) * b for a, b in zip([1, *widths[:-1]], widths))
    params = convs + widths[-1] * (side // 16) ** 2 * fc[0] + fc[0] * fc[-1] + fc[-1] * classes
    if params > MAX_PARAMS:
        raise WeightsError(f"{path} describes a network of {params:,} parameters, over the {MAX_PARAMS:,} limit")


def create_model(name: str = "compact", *, pretrained: bool = False, **overrides: Any) -> EmotionNet:
    """Build an :class:`EmotionNet` by architecture name, as timm's ``create_model`` does.

    One namespace serves architectures and weights: ``"compact"`` (or ``"emotionnet_compact"``) is
    an architecture; a registered name such as ``"emotionnet_compact.fer2013"`` is that
    architecture plus trained weights, loaded when ``pretrained=True``.

    Args:
        name: ``"compact"``, ``"slim"``, ``"narrow"``, ``"paper"``, ``"tiny"`` (see
            :data:`emotionnet.models.configs.CONFIGS`), the same with an ``"emotionnet_"`` prefix,
            or a registered ``arch.tag`` name.
        pretrained: Load the registered weights of ``name`` (which must then be registered).
        **overrides: :class:`EmotionNet` arguments that replace the config's (random init only).

    Returns:
        A randomly initialised network in train mode, or with ``pretrained`` the trained one in
        eval mode on the CPU.

    Raises:
        InvalidInputError: an unknown architecture, or ``pretrained`` with ``overrides``.
        ModelNotFoundError: ``pretrained`` for a name that is not registered.

    >>> create_model("tiny").input_size
    48
    """
    if pretrained:
        if overrides:
            raise InvalidInputError(
                "create_model(pretrained=True) takes no overrides: the weights fix the architecture"
            )
        from .pretrained import load_model

        return load_model(name, device="cpu")
    arch = name.split(".", 1)[0].removeprefix("emotionnet_")
    if arch not in CONFIGS:
        raise InvalidInputError(f"Unknown EmotionNet architecture {name!r}; choose one of {sorted(CONFIGS)}")
    return EmotionNet(**{**CONFIGS[arch], **overrides})
