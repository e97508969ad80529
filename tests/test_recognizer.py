"""EmotionRecognizer mechanics: inputs, batching, boxes, crops, errors, devices, threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from conftest import ASTRONAUT, ROOT, ctrl_c_raises
from emotionnet import EmotionRecognizer, ImagePrediction, create_model, errors, resolve_device


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-model")
    create_model("tiny").save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def recognizer(tiny_dir: Path) -> EmotionRecognizer:
    return EmotionRecognizer(tiny_dir, device="cpu")


def test_predict_path(recognizer: EmotionRecognizer) -> None:
    result = recognizer.predict(ASTRONAUT)
    assert isinstance(result, ImagePrediction) and (result.width, result.height) == (512, 512)
    (face,) = result.faces
    assert abs(sum(face.probabilities.values()) - 1) < 1e-5
    assert face.emotion.value == max(face.probabilities, key=face.probabilities.__getitem__)
    assert face.probability == max(face.probabilities.values()) and face.detection_score > 0.5
    json.dumps(result.to_dict())
    assert result.source == str(ASTRONAUT)


def test_list_input_batches_like_single_calls(recognizer: EmotionRecognizer) -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    images = [bgr, ASTRONAUT, np.full((100, 100, 3), 0, np.uint8), bgr[:, ::-1]]
    batched = recognizer.predict(images)
    assert [len(r) for r in batched] == [1, 1, 0, 1]
    for image, result in zip(images, batched):
        single = recognizer.predict(image)
        assert np.allclose(
            [list(f.probabilities.values()) for f in single],
            [list(f.probabilities.values()) for f in result],
            atol=1e-5,
        )


def test_rgb_arrays(recognizer: EmotionRecognizer) -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    a = recognizer.predict(bgr)
    b = recognizer.predict(np.ascontiguousarray(bgr[:, :, ::-1]), color="rgb")
    assert a.faces[0].probabilities == b.faces[0].probabilities


def test_given_boxes_without_detector(tiny_dir: Path) -> None:
    rec = EmotionRecognizer(tiny_dir, detector=None, device="cpu")
    result = rec.predict(ASTRONAUT, boxes=[(180, 70, 100, 120), (-10, -10, 50, 50)])
    assert len(result) == 2 and result[0].box == (180.0, 70.0, 100.0, 120.0) and result[0].landmarks is None
    with pytest.raises(errors.InvalidInputError, match="no detector"):
        rec.predict(ASTRONAUT)


@pytest.mark.parametrize(
    ("boxes", "match"),
    [
        ([(10, 10, 0, 20)], "zero"),
        ([(600, 600, 20, 20)], "outside"),
        ([(1, 2, 3)], "4 finite"),
        ([(1, 2, float("nan"), 4)], "4 finite"),
    ],
)
def test_bad_boxes(recognizer: EmotionRecognizer, boxes: list, match: str) -> None:
    with pytest.raises(errors.InvalidInputError, match=match):
        recognizer.predict(ASTRONAUT, boxes=boxes)


def test_empty_and_mismatched_lists(recognizer: EmotionRecognizer) -> None:
    with pytest.raises(errors.InvalidInputError, match="empty"):
        recognizer.predict([])
    with pytest.raises(errors.InvalidInputError, match="one list per image"):
        recognizer.predict([ASTRONAUT, ASTRONAUT], boxes=[[(0, 0, 50, 50)]])


def test_bad_image_gets_typed_error(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    with pytest.raises(errors.ImageNotFoundError):
        recognizer.predict(tmp_path / "missing.png")
    with pytest.raises(errors.InvalidImageError):
        recognizer.predict(np.zeros((64, 64, 3), np.float32))


def test_classify_faces(recognizer: EmotionRecognizer) -> None:
    stack = np.random.default_rng(0).integers(0, 255, (5, 48, 48), dtype=np.uint8)
    preds = recognizer.classify_faces(stack)
    assert len(preds) == 5 and all(abs(sum(p.probabilities.values()) - 1) < 1e-5 for p in preds)
    mixed = recognizer.classify_faces([stack[0], cv2.cvtColor(cv2.resize(stack[1], (90, 90)), cv2.COLOR_GRAY2BGR)])
    assert mixed[0].probabilities == preds[0].probabilities and mixed[1].box == (0.0, 0.0, 90.0, 90.0)
    with pytest.raises(errors.InvalidInputError):
        recognizer.classify_faces([])
    with pytest.raises(errors.InvalidImageError):
        recognizer.classify_faces(np.zeros((2, 48, 48), np.float64))
    with pytest.raises(errors.InvalidInputError, match="takes crops"):
        recognizer.classify_faces(None)  # type: ignore[arg-type]
    (one,) = recognizer.classify_faces(ASTRONAUT)  # one file is one crop, not a sequence of characters
    assert one.box == (0.0, 0.0, 512.0, 512.0)
    assert [p.probabilities for p in recognizer.classify_faces(c for c in stack[:2])] == [
        p.probabilities for p in preds[:2]
    ]


def test_tta_changes_scores_but_keeps_shape(tiny_dir: Path) -> None:
    plain = EmotionRecognizer(tiny_dir, device="cpu").predict(ASTRONAUT)
    tta = EmotionRecognizer(tiny_dir, device="cpu", tta=True).predict(ASTRONAUT)
    assert (
        len(tta) == 1
        and abs(sum(tta[0].probabilities.values()) - 1) < 1e-5
        and tta[0].probabilities != plain[0].probabilities
    )
    assert EmotionRecognizer(tiny_dir, device="cpu", tta="flip").predict(ASTRONAUT) == tta
    assert EmotionRecognizer(tiny_dir, device="cpu", tta="none").predict(ASTRONAUT) == plain
    with pytest.raises(errors.InvalidInputError, match="tencrop"):
        EmotionRecognizer(tiny_dir, device="cpu", tta="five")  # type: ignore[arg-type]


@pytest.mark.parametrize("tta", ["flip", "tencrop"])
def test_tta_gives_what_eval_measures(tta: str) -> None:
    """The recognizer's views and averaging are eval's: softmax of the mean logit over the views."""
    from emotionnet.models.pretrained import load_model
    from emotionnet.training.data import FaceSet
    from emotionnet.training.evaluate import predict_logits

    faces = np.random.default_rng(0).integers(0, 256, (6, 48, 48), dtype=np.uint8)
    faces[:3] = cv2.resize(cv2.imread(str(ASTRONAUT), cv2.IMREAD_GRAYSCALE)[60:180, 170:280], (48, 48))
    recognizer = EmotionRecognizer(device="cpu", detector=None, tta=tta, precision="fp32")  # type: ignore[arg-type]
    got = recognizer.predict_proba(faces)
    model = load_model("default", device="cpu")
    logits = predict_logits(model, FaceSet(torch.from_numpy(faces), torch.zeros(6, dtype=torch.long), ()), tta=tta)
    want = torch.softmax(logits / model.temperature, dim=1).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    plain = EmotionRecognizer(device="cpu", detector=None, precision="fp32").predict_proba(faces)
    assert np.abs(got - plain).max() > 1e-3  # the views changed something


def test_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(errors.InvalidInputError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(errors.InvalidInputError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(errors.InvalidInputError):
        EmotionRecognizer(batch_size=0)


@pytest.mark.slow
def test_threads_match_serial(recognizer: EmotionRecognizer) -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    inputs = [bgr[20 + i % 20 : 260 + i % 20, 120 + i % 30 : 340 + i % 30] for i in range(200)]
    serial = [recognizer.predict(img).to_dict() for img in inputs]
    assert sum(len(r["faces"]) for r in serial) >= 190
    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            assert list(pool.map(lambda img: recognizer.predict(img).to_dict(), inputs)) == serial


@pytest.mark.parametrize("detector", ["yunet", "haar"])
def test_pickle_round_trip_rebuilds_the_detector(detector: str) -> None:
    import pickle

    recognizer = EmotionRecognizer(detector=detector)
    copy = pickle.loads(pickle.dumps(recognizer))
    assert copy.detector is not recognizer.detector and copy.detector.model == detector
    assert copy.predict(ASTRONAUT) == recognizer.predict(ASTRONAUT)


def test_a_model_with_other_labels_works_end_to_end(tmp_path: Path) -> None:
    import cv2

    pytest.importorskip("pandas", reason="to_dataframe needs pandas (the dev extra installs it with ray)")

    from emotionnet import annotate, create_model

    torch.manual_seed(0)
    create_model("tiny", num_classes=3, labels=["calm", "excited", "tired"]).save_pretrained(tmp_path / "m")
    recognizer = EmotionRecognizer(f"local-dir:{tmp_path / 'm'}", device="cpu", runtime="torch")
    result = recognizer.predict(ASTRONAUT)
    face = result[0]
    assert set(face.probabilities) == {"calm", "excited", "tired"} and face.label in face.probabilities
    assert result.to_dict()["faces"][0]["emotion"] == face.label and face.label in result.summary()
    with pytest.raises(errors.InvalidInputError, match="label"):
        _ = face.emotion  # not one of the seven emotions
    assert annotate(ASTRONAUT, result, bars=True).shape == cv2.imread(str(ASTRONAUT)).shape
    video = recognizer.analyze_video(
        ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4", end=0.3, progress=False
    )
    video.to_csv(tmp_path / "rows.csv")
    assert (tmp_path / "rows.csv").read_text().splitlines()[0].endswith("calm,excited,tired")
    assert video.labels == ("calm", "excited", "tired") and video.to_dict()["labels"] == list(video.labels)
    frame = video.to_dataframe()
    assert list(frame.columns[-3:]) == ["calm", "excited", "tired"] and len(frame) == len(video)
    assert frame[["calm", "excited", "tired"]].sum(axis=1).round(4).eq(1).all()  # the model's own columns
    blank = tmp_path / "blank.mp4"  # no face: the CSV header alone still names the model's columns
    writer = cv2.VideoWriter(str(blank), cv2.VideoWriter.fourcc(*"mp4v"), 10, (64, 48))
    for _ in range(3):
        writer.write(np.full((48, 64, 3), 90, np.uint8))
    writer.release()
    recognizer.analyze_video(blank, output_csv=tmp_path / "empty.csv", keep_rows=False, progress=False)
    assert (tmp_path / "empty.csv").read_text().strip().endswith("calm,excited,tired")


def test_every_array_entry_point_takes_rgb(recognizer: EmotionRecognizer) -> None:
    bgr = cv2.imread(str(ASTRONAUT))
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    assert recognizer.predict(rgb, color="rgb") == recognizer.predict(bgr)
    assert recognizer.detector is not None
    assert recognizer.detector.detect(rgb, color="rgb") == recognizer.detector.detect(bgr)
    assert recognizer.detector.detect(rgb) != recognizer.detector.detect(bgr)  # the option does something
    crop_bgr, crop_rgb = bgr[100:300, 150:350], rgb[100:300, 150:350]
    assert recognizer.classify_faces([crop_rgb], color="rgb") == recognizer.classify_faces([crop_bgr])
    from emotionnet import annotate

    result = recognizer.predict(bgr)
    assert np.array_equal(annotate(rgb, result, color="rgb"), annotate(bgr, result))


def test_long_lists_show_progress_and_ctrl_c_keeps_the_images_finished(
    recognizer: EmotionRecognizer, capsys: pytest.CaptureFixture[str]
) -> None:
    import http.server
    import os
    import signal
    import threading

    from emotionnet._pipeline import CHUNK

    bgr = cv2.imread(str(ASTRONAUT))
    small = cv2.resize(bgr, (128, 128))
    many = [small] * (CHUNK + 44)
    results = recognizer.predict(many, progress=True)
    assert len(results) == CHUNK + 44 and f"/{CHUNK + 44} [" in capsys.readouterr().err  # tqdm's "n/total ["
    assert recognizer.predict(many[:3]) and "/3 [" not in capsys.readouterr().err  # short lists: no bar

    class CtrlC(http.server.BaseHTTPRequestHandler):  # Ctrl-C arrives while this image downloads
        def do_GET(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(cv2.imencode(".png", small)[1].tobytes())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CtrlC)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/face.png"
        with ctrl_c_raises(), pytest.raises(errors.Interrupted, match=f"after {CHUNK} of {CHUNK + 3} images") as info:
            recognizer.predict([*many[:CHUNK], many[0], url, many[0]], progress=False)
        crops = (small for _ in range(CHUNK + 1))  # a generator, read as it goes, then Ctrl-C
        with ctrl_c_raises(), pytest.raises(errors.Interrupted, match=f"after {CHUNK} faces") as crop_info:
            recognizer.classify_faces(c for part in (crops, [url]) for c in part)
    finally:
        server.shutdown()
        server.server_close()
    partial = info.value.partial
    assert len(partial) == CHUNK and all(a.faces == b.faces for a, b in zip(partial, results))
    assert len(crop_info.value.partial) == CHUNK
    whole = recognizer.classify_faces((small for _ in range(CHUNK + 4)), progress=True)
    assert len(whole) == CHUNK + 4 and whole[0].probabilities == crop_info.value.partial[0].probabilities
    assert "face/s" in capsys.readouterr().err  # the bar, without a total: a generator's length is unknown
    with pytest.raises(errors.InvalidInputError, match="no faces"):
        recognizer.classify_faces(small for _ in range(0))
