"""What an encoded image says about itself, read from its header without decoding any pixels.

Used before decoding to refuse decompression bombs (a few KB that claim gigapixels) and truncated
files, and after decoding to turn the pixels as the EXIF orientation tag says (viewers do).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the header of a PNG, JPEG, GIF, BMP, WebP, TIFF, PNM/PFM/PAM, Sun
    raster, JPEG 2000 or Radiance HDR file (what OpenCV decodes); ``None`` for an unreadable header.

    Args:
        data: The file's first bytes (the whole file for JPEG).
    """
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            return _be(data, 16, 4), _be(data, 20, 4)
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return _le(data, 6, 2), _le(data, 8, 2)
        if data[:2] == b"BM" and len(data) >= 26:
            return abs(struct.unpack_from("<i", data, 18)[0]), abs(struct.unpack_from("<i", data, 22)[0])
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(data)
        if len(data) > 2 and data[0:1] == b"P" and data[1:2] in b"123456Ff":  # PNM, PFM
            fields = data[2:64].split(maxsplit=3)
            return int(fields[0]), int(fields[1])
        if data[:2] == b"P7":  # PAM: WIDTH and HEIGHT lines
            words = data[:512].split()
            return int(words[words.index(b"WIDTH") + 1]), int(words[words.index(b"HEIGHT") + 1])
        if data[:4] == b"\x59\xa6\x6a\x95":  # Sun raster
            return _be(data, 4, 4), _be(data, 8, 4)
        if data[:4] == b"\xff\x4f\xff\x51":  # JPEG 2000 codestream: SIZ right after SOC
            return _be(data, 8, 4) - _be(data, 16, 4), _be(data, 12, 4) - _be(data, 20, 4)
        if data[4:12] == b"jP  \r\n\x87\n":  # JP2 container: the ihdr box holds height, width
            at = data.find(b"ihdr", 0, 4096)
            return (_be(data, at + 8, 4), _be(data, at + 4, 4)) if at > 0 else None
        if data[:2] == b"#?":  # Radiance HDR: header lines, a blank line, then "-Y h +X w"
            head = data[:4096].split(b"\n\n", 1)
            if len(head) == 2:
                dims = head[1].split(b"\n", 1)[0].split()
                return int(dims[3]), int(dims[1])
    except (IndexError, ValueError, struct.error):
        return None
    return None


def truncation(data: bytes) -> str | None:
    """A reason if a JPEG or PNG ends before its image data does, or a GIF before its screen
    descriptor; ``None`` when complete or unknown.

    Bytes after the end marker (phone "motion photos" append a video) are fine, as in viewers.

    Args:
        data: The whole file.
    """
    if data[:2] == b"\xff\xd8":
        sos = _jpeg_segment(data, {0xDA})
        if data.find(b"\xff\xd9", 2 if sos is None else sos) < 0:
            return "a truncated JPEG (the image data has no end-of-image marker)"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        i = 8
        while i + 8 <= len(data):
            length, kind = _be(data, i, 4), data[i + 4 : i + 8]
            i += 12 + length
            if kind == b"IEND":
                return None if i <= len(data) else "a truncated PNG (its IEND chunk is cut)"
        return "a truncated PNG (no IEND chunk)"
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) < 13:  # signature + logical screen descriptor
        return "a truncated GIF (its header is cut short)"
    return None


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def heif_image(data: bytes) -> str | None:
    """The format's name when ``data`` is a HEIC/HEIF or AVIF still image (an ISO-BMFF file, like
    MP4, told apart by its brand): iPhones save photos as HEIC by default.

    Args:
        data: The file's first bytes (12 are enough).
    """
    if data[4:8] != b"ftyp":
        return None
    brand = data[8:12]
    if brand in (b"avif", b"avis"):
        return "an AVIF image"
    return "a HEIC/HEIF image" if brand in _HEIF_BRANDS else None


def video_container(data: bytes) -> str | None:
    """The container's name when ``data`` starts like a video file (MP4/MOV, AVI, Matroska/WebM).

    Args:
        data: The file's first bytes (12 are enough).
    """
    if data[4:8] == b"ftyp":
        return "an MP4/MOV video"
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "an AVI video"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "a Matroska/WebM video"
    return None


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag (1-8) of a JPEG, PNG, WebP or TIFF file; 1 (as stored) when absent.

    Args:
        data: The whole file.
    """
    try:
        block = _exif_block(data)
        value = _tiff_tag(block, 0x0112) if block else None
    except (IndexError, ValueError, struct.error):
        return 1
    return value if value is not None and 1 <= value <= 8 else 1


def _be(data: bytes, at: int, n: int) -> int:
    return int.from_bytes(data[at : at + n], "big")


def _le(data: bytes, at: int, n: int) -> int:
    return int.from_bytes(data[at : at + n], "little")


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int]]:
    """``(marker, offset)`` of each JPEG segment up to and including the first start-of-scan."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        yield marker, i
        if marker in (0xD9, 0xDA):
            return
        i += 2 + _be(data, i + 2, 2)


def _jpeg_segment(data: bytes, markers: set[int]) -> int | None:
    """Offset of the first segment whose marker is in ``markers``."""
    return next((at for marker, at in _jpeg_segments(data) if marker in markers), None)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    sof = {m for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)}
    i = _jpeg_segment(data, sof)
    if i is None or i + 9 > len(data):
        return None
    return _be(data, i + 7, 2), _be(data, i + 5, 2)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8X":
        return _le(data, 24, 3) + 1, _le(data, 27, 3) + 1
    if kind == b"VP8L":
        bits = _le(data, 21, 4)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 ":
        return _le(data, 26, 2) & 0x3FFF, _le(data, 28, 2) & 0x3FFF
    return None


def _tiff_tag(block: bytes, tag: int) -> int | None:
    """A SHORT/LONG value of ``tag`` in the first IFD of a TIFF-structured block."""
    order = "<" if block[:2] == b"II" else ">"
    ifd = struct.unpack_from(order + "I", block, 4)[0]
    (count,) = struct.unpack_from(order + "H", block, ifd)
    for k in range(min(count, 512)):
        at = ifd + 2 + 12 * k
        t, kind = struct.unpack_from(order + "HH", block, at)
        if t == tag:
            fmt = "H" if kind == 3 else "I"
            return int(struct.unpack_from(order + fmt, block, at + 8)[0])
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    w, h = _tiff_tag(data, 256), _tiff_tag(data, 257)
    return None if w is None or h is None else (w, h)


def _exif_block(data: bytes) -> bytes | None:
    """The TIFF-structured EXIF block of a JPEG (APP1), PNG (eXIf), WebP (EXIF) or TIFF file."""
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return data
    if data[:2] == b"\xff\xd8":
        for marker, at in _jpeg_segments(data):
            if marker == 0xE1 and data[at + 4 : at + 10] == b"Exif\x00\x00":
                return data[at + 10 : at + 2 + _be(data, at + 2, 2)]
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        i = 8
        while i + 8 <= len(data):
            length, kind = _be(data, i, 4), data[i + 4 : i + 8]
            if kind == b"eXIf":
                return data[i + 8 : i + 8 + length]
            if kind in (b"IDAT", b"IEND"):
                return None
            i += 12 + length
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        i = 12
        while i + 8 <= len(data):
            kind, length = data[i : i + 4], _le(data, i + 4, 4)
            if kind == b"EXIF":
                block = data[i + 8 : i + 8 + length]
                return block[6:] if block.startswith(b"Exif\x00\x00") else block
            i += 8 + length + (length & 1)
    return None
