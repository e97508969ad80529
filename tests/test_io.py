"""load_image: every kind of input, good and bad, from real files made here."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA, needs_media
from emotionnet import errors, list_images, load_image


@pytest.fixture
def jpeg_bytes() -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.imread(str(ASTRONAUT)))
    assert ok
    return buf.tobytes()


def test_path_str_pathlike_and_bytes_agree(jpeg_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "face photo é.jpg"  # unicode and spaces
    path.write_bytes(jpeg_bytes)
    a, b, c = load_image(str(path)), load_image(path), load_image(jpeg_bytes)
    assert a.shape == (512, 512, 3) and a.dtype == np.uint8 and a.flags.c_contiguous
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_rgb_order_is_converted() -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    assert np.array_equal(load_image(bgr[:, :, ::-1].copy(), color="rgb"), bgr)


@pytest.mark.parametrize(
    "array",
    [np.zeros((40, 30), np.uint8), np.zeros((40, 30, 1), np.uint8), np.zeros((40, 30, 4), np.uint8)],
    ids=["gray", "gray1", "bgra"],
)
def test_channel_layouts(array: np.ndarray) -> None:
    assert load_image(array).shape == (40, 30, 3)


def test_views_and_negative_strides() -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    flipped = bgr[::-1, ::-2]
    out = load_image(flipped)
    assert out.flags.c_contiguous and np.array_equal(out, np.ascontiguousarray(flipped))


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((0, 0, 3), np.uint8), "at least"),
        (np.zeros((1, 1, 3), np.uint8), "at least"),
        (np.zeros((64, 64, 3), np.float32), "uint8"),
        (np.full((64, 64, 3), np.nan, np.float64), "uint8"),
        (np.zeros((64, 64, 3), np.uint16), "uint8"),
        (np.zeros((64, 64, 2), np.uint8), "shape"),
        (np.zeros((64, 64, 5), np.uint8), "shape"),
        (np.zeros((2, 64, 64, 3), np.uint8), "shape"),
    ],
    ids=["0x0", "1x1", "float", "nan", "uint16", "2ch", "5ch", "4d"],
)
def test_bad_arrays(array: np.ndarray, match: str) -> None:
    with pytest.raises(errors.InvalidImageError, match=match) as info:
        load_image(array)
    assert isinstance(info.value, ValueError)


def test_huge_array_refused_without_copy() -> None:
    big = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (20_000, 20_000, 3))  # no memory behind it
    with pytest.raises(errors.InvalidImageError, match="limit"):
        load_image(big)


def test_huge_encoded_images_refused_before_decoding(jpeg_bytes: bytes) -> None:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    png = b"\x89PNG\r\n\x1a\n" + chunk + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    with pytest.raises(errors.InvalidImageError, match="20000x20000"):
        load_image(png)
    sof = jpeg_bytes.index(b"\xff\xc0")  # baseline start-of-frame: height, width at +5 and +7
    big = bytearray(jpeg_bytes)
    big[sof + 5 : sof + 9] = struct.pack(">HH", 20_000, 20_000)
    with pytest.raises(errors.InvalidImageError, match="20000x20000"):
        load_image(bytes(big))


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(errors.ImageNotFoundError) as info:
        load_image(tmp_path / "nope.jpg")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(errors.ImageNotFoundError, match="directory"):
        load_image(tmp_path)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda jpg, png: b"", "empty"),
        (lambda jpg, png: b"this is not an image at all" * 10, "not a readable image"),
        (lambda jpg, png: jpg[: len(jpg) // 2], "truncated JPEG"),
        (lambda jpg, png: png[: len(png) // 2], "truncated PNG"),
        (lambda jpg, png: b"GIF89a", "truncated GIF"),
        # an iPhone photo starts with an ISO-BMFF ftyp box, as an MP4 does; its brand tells them apart
        (lambda jpg, png: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "HEIC/HEIF image.*JPEG"),
        (lambda jpg, png: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + bytes(64), "AVIF image"),
        (lambda jpg, png: b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), "MP4/MOV video"),
    ],
    ids=["empty", "text", "truncated-jpeg", "truncated-png", "gif-signature-only", "heic", "avif", "mp4"],
)
def test_bad_files(tmp_path: Path, jpeg_bytes: bytes, make, match: str) -> None:  # type: ignore[no-untyped-def]
    png = ASTRONAUT.read_bytes()
    path = tmp_path / "bad.img"
    path.write_bytes(make(jpeg_bytes, png))
    with pytest.raises(errors.ImageReadError, match=match):
        load_image(path)
    with pytest.raises(errors.ImageReadError, match=match):
        load_image(path.read_bytes())


def test_wrong_types() -> None:
    with pytest.raises(errors.InvalidInputError):
        load_image(12345)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidInputError, match="color"):
        load_image(np.zeros((9, 9), np.uint8), color="hsv")  # type: ignore[arg-type]


def test_sixteen_bit_png_is_reduced(tmp_path: Path) -> None:
    img16 = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), img16)
    out = load_image(path)
    assert out.dtype == np.uint8 and np.array_equal(out[:, :, 0], (img16 >> 8).astype(np.uint8))


@needs_media
@pytest.mark.parametrize("name", ["Image_with_alpha.png", "BWPictureHuman.jpg"])
def test_shared_rgba_and_gray_files(name: str) -> None:
    out = load_image(MEDIA / name)
    assert out.ndim == 3 and out.shape[2] == 3


def test_animated_gif_reads_first_frame(tmp_path: Path) -> None:
    frames = [np.full((32, 32, 3), v, np.uint8) for v in (0, 255)]
    path = tmp_path / "anim.gif"
    if not cv2.imwritemulti(str(path), frames):  # pragma: no cover - depends on the OpenCV build
        pytest.skip("this OpenCV build cannot write GIF")
    assert load_image(path).shape == (32, 32, 3)


def test_pil_images_tensors_tuples_folders_and_urls(tmp_path: Path) -> None:
    import http.server
    import threading

    import torch
    from PIL import Image

    from emotionnet import EmotionRecognizer

    bgr = cv2.imread(str(ASTRONAUT))
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    assert np.array_equal(load_image(Image.fromarray(rgb)), bgr)
    gray = Image.fromarray(rgb).convert("L")
    assert np.array_equal(load_image(gray), cv2.cvtColor(np.asarray(gray), cv2.COLOR_GRAY2BGR))
    assert np.array_equal(load_image(torch.from_numpy(rgb).permute(2, 0, 1)), bgr)  # torchvision's (C, H, W)
    assert np.array_equal(load_image(torch.from_numpy(rgb)), bgr)
    with pytest.raises(errors.InvalidImageError, match="uint8"):
        load_image(torch.rand(3, 64, 64))
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("b.png", "a.jpg"):
        cv2.imwrite(str(folder / name), bgr)
    (folder / "notes.txt").write_text("not an image")
    recognizer = EmotionRecognizer(device="cpu")
    with pytest.raises(errors.InvalidInputError, match="list_images"):  # one path in, one result out
        recognizer.predict(folder)
    results = recognizer.predict(list_images(folder))
    assert [Path(r.source).name for r in results] == ["a.jpg", "b.png"]  # type: ignore[arg-type]
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")  # listed, and reported, not silently left out
    *_, gone = recognizer.predict(list_images(folder), on_error="return")
    assert isinstance(gone.error, errors.ImageNotFoundError) and "broken symlink" in str(gone.error)
    (folder / "gone.png").unlink()
    assert len(recognizer.predict((ASTRONAUT, Image.fromarray(rgb)))) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(errors.ImageNotFoundError, match="No image files"):
        list_images(empty)

    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert np.array_equal(load_image(f"{url}/b.png"), bgr)
        with pytest.raises(errors.ImageReadError, match=f"{url}/missing.png"):  # the URL as given, not mangled
            load_image(f"{url}/missing.png")
        for other in ("s3://bucket/b.png", "ftp://127.0.0.1/b.png"):
            with pytest.raises(errors.InvalidInputError, match="only http"):
                load_image(other)
    finally:
        server.shutdown()
        server.server_close()


def test_url_that_drips_or_claims_too_much_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.server
    import threading
    import time

    from emotionnet.io import image

    class Server(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            if self.path == "/huge.png":
                self.send_header("Content-Length", str(image.MAX_FILE_BYTES * 4))
                self.end_headers()
                self.wfile.write(b"\x89PNG")
                return
            if self.path == "/cut.png":
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"\x89PNG")  # and the connection closes
                return
            self.send_header("Content-Length", "1000")  # a byte every 0.1 s: each read answers, the whole never ends
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(image, "URL_DEADLINE", 1.0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(errors.ImageReadError, match="claims 4,294,967,296 bytes"):
            load_image(f"{url}/huge.png")
        with pytest.raises(errors.ImageReadError, match=r"cut\.png ended after 4 of the 1,000 bytes"):
            load_image(f"{url}/cut.png")
        with pytest.raises(errors.ImageReadError, match=r"took over 1 s to download"):
            load_image(f"{url}/drip.png")  # the whole drip would take 100 s; the message says the deadline cut it
    finally:
        server.shutdown()
        server.server_close()
