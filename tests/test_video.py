"""Video files, tracking and live streams with real OpenCV video (files made here or committed)."""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA, ROOT, needs_media
from emotionnet import EmotionRecognizer, FaceDetector, errors
from emotionnet.cli import main
from emotionnet.results import Face, ImagePrediction
from emotionnet.video.analysis import SkippedFramesWarning, analyze_video
from emotionnet.video.results import COLUMNS
from emotionnet.video.tracking import FaceTracker, iou

PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"


@pytest.fixture(scope="module")
def recognizer() -> EmotionRecognizer:
    return EmotionRecognizer(device="cpu")


@pytest.mark.slow
def test_pexels_clip_rows_video_and_plot(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    result = recognizer.analyze_video(PEXELS, every_n_frames=2, output_video=out, smoothing=0.5, progress=False)
    assert result.frames_read == 472 and result.frames_analyzed == 236 and result.skipped_frames == ()
    lengths = result.track_lengths()
    assert max(lengths.values()) >= 0.9 * 236  # one track covers the single face almost always
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 472
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (640, 360)
    result.to_csv(tmp_path / "rows.csv")
    with open(tmp_path / "rows.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(result) and rows[0]["frame"] == "0"
    assert (
        abs(sum(float(rows[0][k]) for k in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")) - 1)
        < 1e-3
    )
    result.plot_timeline(tmp_path / "timeline.png")
    assert cv2.imread(str(tmp_path / "timeline.png")).shape[1] > 500


def test_time_range_and_max_faces(recognizer: EmotionRecognizer) -> None:
    result = recognizer.analyze_video(PEXELS, start=10.0, end=11.0, max_faces=1, progress=False)
    frames = [r.frame for r in result.rows]
    assert 20 <= result.frames_analyzed <= 26 and min(frames) >= 239 and max(frames) <= 264
    assert all(9.9 <= r.time <= 11.05 for r in result.rows)


@pytest.mark.slow
def test_corrupted_middle_is_skipped_and_reported(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    data = bytearray(PEXELS.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 50_000] = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(bytes(data))
    with pytest.warns(SkippedFramesWarning, match="could not be decoded"):
        result = recognizer.analyze_video(bad, every_n_frames=3, progress=False)
    assert len(result.skipped_frames) > 0
    assert result.frames_read + result.missing_at_end == 472  # every announced frame accounted for once
    assert max(r.frame for r in result.rows) > max(result.skipped_frames)  # the run went on past them
    assert "skipped" in result.summary()


def test_unreadable_sources(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    fake = tmp_path / "not a video.mp4"
    fake.write_bytes(b"hello" * 1000)
    with pytest.raises(errors.VideoReadError):
        recognizer.analyze_video(fake, progress=False)
    with pytest.raises(errors.ImageNotFoundError):
        recognizer.analyze_video(tmp_path / "missing.mp4", progress=False)
    with pytest.raises(errors.VideoReadError, match="Camera 47"):
        next(recognizer.stream(47))
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(PEXELS, every_n_frames=0, progress=False)


def test_synthetic_two_faces_keep_their_tracks(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    face = cv2.imread(str(ASTRONAUT))[40:260, 140:330]
    path = tmp_path / "two.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 300))
    for i in range(20):
        frame = np.full((300, 640, 3), 90, np.uint8)
        frame[40:260, 20 + 3 * i : 210 + 3 * i] = face
        if i != 7:  # the right face vanishes for one frame: its track must survive
            frame[40:260, 420 - 2 * i : 610 - 2 * i] = face
        writer.write(frame)
    writer.release()
    result = recognizer.analyze_video(path, progress=False)
    assert result.track_ids == (1, 2)
    left = {r.track_id for r in result.rows if r.face.box[0] < 300}
    right = {r.track_id for r in result.rows if r.face.box[0] >= 300}
    assert len(left) == 1 and len(right) == 1 and left != right


def test_tracker_smoothing_and_max_age() -> None:
    tracker = FaceTracker(smoothing=0.5, max_age=1)
    a = np.eye(7)[[3]]
    b = np.eye(7)[[0]]
    assert tracker.update([(0, 0, 10, 10)], a)[0] == (1, tuple(a[0]))
    tid, scores = tracker.update([(1, 0, 10, 10)], b)[0]
    assert tid == 1 and scores[0] == pytest.approx(0.5) and scores[3] == pytest.approx(0.5)
    tracker.update([], np.zeros((0, 7)))
    tracker.update([], np.zeros((0, 7)))
    assert tracker.update([(1, 0, 10, 10)], a)[0][0] == 2  # too old: a new track
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)
    with pytest.raises(errors.InvalidInputError):
        FaceTracker(smoothing=1.0)


def test_stream_from_file(recognizer: EmotionRecognizer) -> None:
    frames = list(recognizer.stream(str(PEXELS), realtime=False, max_frames=15))
    assert len(frames) == 15 and all(len(f.prediction) == 1 for f in frames)
    assert {f.track_ids for f in frames} == {(1,)}
    assert frames[-1].annotated().shape == (360, 640, 3)


@pytest.mark.slow
def test_cli_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path, out = tmp_path / "rows.csv", tmp_path / "out.mp4"
    code = main(
        [
            "video",
            str(PEXELS),
            "--every-n-frames",
            "8",
            "--csv",
            str(csv_path),
            "--output-video",
            str(out),
            "--json",
            str(tmp_path / "rows.json"),
            "--no-progress",
            "--device",
            "cpu",
        ]
    )
    assert code == 0 and csv_path.stat().st_size > 0 and out.stat().st_size > 0
    assert "59/472 frames analysed" in capsys.readouterr().out
    streamed = tmp_path / "streamed.csv"  # --csv alone: rows go to the file as found, none kept
    assert main(["video", str(PEXELS), "--every-n-frames", "8", "--csv", str(streamed), "--no-progress"]) == 0
    assert streamed.read_bytes() == csv_path.read_bytes()
    with open(streamed, newline="") as f:
        assert f"{len(list(csv.DictReader(f)))} face detections" in capsys.readouterr().out


@needs_media
def test_no_face_video(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    result = recognizer.analyze_video(MEDIA / "no_face.mp4", every_n_frames=2, output_csv=rows, progress=False)
    assert len(result) == 0 and result.frames_analyzed > 40 and "no faces found" in result.summary()
    assert rows.read_text().splitlines() == [",".join(COLUMNS)]  # the header says what the columns would be


def test_rows_stream_to_csv_and_need_not_stay_in_memory(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    kept = recognizer.analyze_video(PEXELS, end=2.0, progress=False)
    kept.to_csv(tmp_path / "kept.csv")
    streamed = recognizer.analyze_video(
        PEXELS, end=2.0, output_csv=tmp_path / "streamed.csv", keep_rows=False, progress=False
    )
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "kept.csv").read_bytes()
    assert streamed.rows == () and not streamed.rows_kept and kept.rows_kept
    assert streamed.face_count == len(kept) > 40 and streamed.track_lengths() == kept.track_lengths()
    assert streamed.summary() == kept.summary() and streamed.to_dict()["face_count"] == len(kept)
    assert streamed.to_dict()["track_frames"] == [[t, n] for t, n in kept.track_lengths().items()]
    for write in (streamed.to_csv, streamed.plot_timeline):
        with pytest.raises(errors.InvalidInputError, match="keep_rows=False"):
            write(tmp_path / "again.png")
    with pytest.raises(errors.OutputError, match="same file"):
        recognizer.analyze_video(PEXELS, output_video=tmp_path / "a.mp4", output_csv=tmp_path / "a.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.csv", "streamed.csv"]


def test_ctrl_c_keeps_the_rows_streamed_so_far(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    calls: list[int] = []

    def predict(frames: list[np.ndarray], faces: object = None) -> list[ImagePrediction]:
        calls.append(len(frames))
        if len(calls) == 3:  # Ctrl-C while the third batch is classified
            raise KeyboardInterrupt
        return recognizer.predict(list(frames), boxes=faces)  # type: ignore[arg-type]

    out = tmp_path / "rows.csv"
    with pytest.raises(errors.Interrupted) as info:
        analyze_video(predict, PEXELS, output_csv=out, keep_rows=False, batch_frames=4, progress=False)
    partial = info.value.partial
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert partial.frames_analyzed == 8 and len(rows) == partial.face_count > 0
    assert {int(r["frame"]) for r in rows} <= set(range(8)) and [p.name for p in tmp_path.iterdir()] == ["rows.csv"]


@needs_media
@pytest.mark.slow
def test_face_appears_part_way(recognizer: EmotionRecognizer) -> None:
    result = recognizer.analyze_video(MEDIA / "noface_face.mov", every_n_frames=2, progress=False)
    assert result.rows and result.rows[0].frame > 30 and len(result.track_ids) >= 1


def test_no_video_left_open_warning(recognizer: EmotionRecognizer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recognizer.analyze_video(PEXELS, end=0.5, progress=False)
    assert os.path.exists(PEXELS)


def test_detect_every_reuses_faces_with_landmarks(recognizer: EmotionRecognizer) -> None:
    every = recognizer.analyze_video(PEXELS, end=4.0, progress=False)
    third = recognizer.analyze_video(PEXELS, end=4.0, detect_every=3, progress=False)
    assert len(third) == len(every) == every.frames_analyzed
    carried = [r for r in third.rows if r.frame % 3]
    assert carried and all(r.face.landmarks is not None for r in carried)  # the detector's faces, eyes levelled
    same = sum(a.face.emotion == b.face.emotion for a, b in zip(every.rows, third.rows)) / len(every.rows)
    assert same >= 0.9
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(PEXELS, detect_every=0, progress=False)
    frames = list(recognizer.stream(PEXELS, realtime=False, max_frames=6, detect_every=3))
    assert [len(f.prediction) for f in frames] == [1] * 6


class CountingDetector(FaceDetector):
    """The real YuNet detector, counting the images it is given."""

    calls = 0

    def detect(self, image: object) -> tuple[Face, ...]:
        self.calls += 1
        return super().detect(image)  # type: ignore[arg-type]


@pytest.mark.parametrize("every_n_frames", [1, 2, 3])
def test_detect_every_counts_analysed_frames_with_any_frame_stride(every_n_frames: int) -> None:
    detector = CountingDetector()
    recognizer = EmotionRecognizer(detector=detector, device="cpu")
    result = recognizer.analyze_video(PEXELS, end=3.0, every_n_frames=every_n_frames, detect_every=2, progress=False)
    analysed = result.frames_analyzed
    assert analysed == -(-72 // every_n_frames) and detector.calls == -(-analysed // 2)
    by_frame = {r.frame: r.face.face.box for r in result.rows}
    stride = 2 * every_n_frames  # an analysed frame without the detector reuses the faces of the one before
    carried = [f for f in by_frame if f % stride]
    assert carried and all(by_frame[f] == by_frame[f - every_n_frames] for f in carried)
    detector.calls = 0
    frames = list(recognizer.stream(PEXELS, realtime=False, max_frames=6, detect_every=2))
    assert len(frames) == 6 and detector.calls == 3


def test_numpy_integers_are_ints(recognizer: EmotionRecognizer) -> None:
    # a frame stride computed with NumPy (e.g. fps // 2) is an np.int64, not an int
    result = recognizer.analyze_video(
        PEXELS, end=1.0, every_n_frames=np.int64(6), max_faces=np.int32(1), progress=False
    )
    assert result.frames_analyzed == 4
    assert FaceDetector(min_face_size=np.int64(20)).min_face_size == 20
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(PEXELS, every_n_frames=np.float64(2.0), progress=False)  # still not a float


@pytest.mark.parametrize(
    "option", [{"max_faces": -1}, {"max_faces": 0}, {"smoothing": 1.0}, {"detect_every": 0}, {"max_frames": 0}]
)
def test_stream_refuses_what_analyze_video_refuses(recognizer: EmotionRecognizer, option: dict[str, int]) -> None:
    with pytest.raises(errors.InvalidInputError):
        recognizer.stream(PEXELS, realtime=False, **option)  # type: ignore[arg-type]  # at the call
    if "max_frames" not in option:
        with pytest.raises(errors.InvalidInputError):
            recognizer.analyze_video(PEXELS, progress=False, **option)  # type: ignore[arg-type]


def test_predict_on_face_objects_keeps_their_landmarks(recognizer: EmotionRecognizer) -> None:
    found = recognizer.predict(ASTRONAUT)
    again = recognizer.predict(ASTRONAUT, boxes=[found[0].face])
    assert again[0].face == found[0].face and again[0].probabilities == found[0].probabilities


def test_annotated_video_codec_follows_the_suffix(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    webm = tmp_path / "annotated.webm"
    recognizer.analyze_video(PEXELS, end=1.0, output_video=webm, progress=False)
    cap = cv2.VideoCapture(str(webm))
    codec = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode()
    assert codec == "VP80" and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) in range(20, 30)  # VP8: browsers play it
    with pytest.raises(errors.OutputError, match="webm"):
        recognizer.analyze_video(PEXELS, end=1.0, output_video=tmp_path / "out.gif", progress=False)


def test_rows_keep_full_precision_and_csv_rounds(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    result = recognizer.analyze_video(PEXELS, end=0.5, progress=False)
    row, face = result.rows[0].to_dict(), result.rows[0].face
    assert row["probability"] == face.probability and row["x"] == face.box[0]  # not rounded
    assert row == {"frame": row["frame"], "time": row["time"], "track_id": row["track_id"]} | face.to_row()
    result.to_csv(tmp_path / "rows.csv")
    with open(tmp_path / "rows.csv") as f:
        first = next(csv.DictReader(f))
    assert first["probability"] == str(round(face.probability, 4))
