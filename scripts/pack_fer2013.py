"""Carry FER2013 to a lent GPU machine in shards small enough to travel, and unpack it there.

A device call carries the working tree plus named paths, 64 MiB in all; the tree is about 41 MB
and FER2013's JPEGs 57 MB, so the data goes over in several calls, one shard each, and is unpacked
in the last (docs/training.md, "On a lent GPU"). Shards are uncompressed zip files of the original
bytes (JPEG cannot be made smaller losslessly), so the unpacked folder is byte-identical.

    python scripts/pack_fer2013.py pack --data ../shared/data/fer2013 --out gpu-data --max-mb 20
    python3 scripts/pack_fer2013.py unpack gpu-data --out gpu-data/fer2013     # on the GPU machine

``pack`` takes train/, PublicTest and ferplus.csv (``--with-private`` adds PrivateTest, which GPU
runs never need: it is looked at once per finished model, here). Standard library only.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

PREFIXES = {"train": ("train", "Training_"), "val": ("test", "PublicTest_"), "test": ("test", "PrivateTest_")}


def files_to_pack(data: Path, splits: list[str]) -> list[Path]:
    """The dataset's files for ``splits``, relative to ``data``, ferplus.csv first when present.

    Args:
        data: The FER2013 folder (``train/<emotion>/*.jpg``, ``test/<emotion>/*.jpg``).
        splits: Any of ``train``, ``val`` (PublicTest), ``test`` (PrivateTest).

    Returns:
        Relative paths, sorted within each split.

    Raises:
        FileNotFoundError: a split has no files.
    """
    out = [Path("ferplus.csv")] if (data / "ferplus.csv").is_file() else []
    for split in splits:
        folder, prefix = PREFIXES[split]
        found = sorted(p.relative_to(data) for p in (data / folder).glob(f"*/{prefix}*.jpg"))
        if not found:
            raise FileNotFoundError(f"no {prefix}*.jpg under {data / folder}/<emotion>/")
        out += found
    return out


def pack(data: Path, out: Path, splits: list[str], max_bytes: int) -> list[Path]:
    """Write ``out/fer2013-<k>.zip`` shards, each at most ``max_bytes`` (one file over it gets a shard).

    Args:
        data: The FER2013 folder.
        out: Where the shards go (created; old shards there are removed first).
        splits: The splits to take.
        max_bytes: The largest shard.

    Returns:
        The shards written.
    """
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("fer2013-*.zip"):
        old.unlink()
    shards: list[Path] = []
    zf: zipfile.ZipFile | None = None
    size = 0
    for rel in files_to_pack(data, splits):
        blob = (data / rel).read_bytes()
        entry = len(blob) + 2 * len(str(rel)) + 100  # local header + central directory, about
        if zf is None or size + entry > max_bytes:
            if zf is not None:
                zf.close()
            shards.append(out / f"fer2013-{len(shards) + 1}.zip")
            zf, size = zipfile.ZipFile(shards[-1], "w", zipfile.ZIP_STORED), 22
        zf.writestr(rel.as_posix(), blob)
        size += entry
    if zf is not None:
        zf.close()
    return shards


def unpack(shards: Path, out: Path) -> int:
    """Extract every ``fer2013-*.zip`` in ``shards`` into ``out`` (CRC-checked as read).

    Args:
        shards: The folder holding the shards.
        out: The dataset folder to write.

    Returns:
        The number of files written.

    Raises:
        FileNotFoundError: no shards in ``shards``.
        zipfile.BadZipFile: a shard is damaged.
    """
    found = sorted(shards.glob("fer2013-*.zip"))
    if not found:
        raise FileNotFoundError(f"no fer2013-*.zip shards in {shards}")
    n = 0
    for shard in found:
        with zipfile.ZipFile(shard) as zf:
            for name in zf.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise zipfile.BadZipFile(f"{shard}: unsafe member name {name!r}")
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
                n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="write shards")
    p.add_argument("--data", type=Path, default=Path("../shared/data/fer2013"))
    p.add_argument("--out", type=Path, default=Path("gpu-data"))
    p.add_argument("--max-mb", type=float, default=20.0, help="largest shard, in MB (default 20)")
    p.add_argument("--with-private", action="store_true", help="also pack PrivateTest")
    u = sub.add_parser("unpack", help="extract shards into a dataset folder")
    u.add_argument("shards", type=Path)
    u.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "pack":
        splits = ["train", "val"] + (["test"] if args.with_private else [])
        for shard in pack(args.data, args.out, splits, int(args.max_mb * 1e6)):
            print(f"{shard}  {shard.stat().st_size / 1e6:.1f} MB")
    else:
        print(f"{unpack(args.shards, args.out)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
