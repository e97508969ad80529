"""emotionnet.integrations.ray on a real local Ray cluster: rows equal single-process results exactly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import ASTRONAUT, FER2013, MEDIA, ROOT, needs_fer2013, needs_media

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'emotionnet[ray]'; CI has it)")
pd = pytest.importorskip("pandas")

import emotionnet as en  # noqa: E402
from emotionnet.integrations.ray import COLUMNS, EmotionPredictor, analyze_images, analyze_videos  # noqa: E402

PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def recognizer() -> en.EmotionRecognizer:
    return en.EmotionRecognizer()


def _by_source(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {s: g.sort_values("face") for s, g in df.groupby("source")}


def _assert_rows(rows: pd.DataFrame, preds: list[en.FacePrediction]) -> None:
    assert list(rows["face"]) == list(range(len(preds)))
    assert (rows["error"] == "").all()
    for (_, row), pred in zip(rows.iterrows(), preds):
        assert (row["x"], row["y"], row["w"], row["h"]) == pred.box
        assert row["detection_score"] == pred.detection_score
        assert [row[e.value] for e in en.EMOTIONS] == list(pred.probabilities.values())
        assert row["emotion"] == pred.emotion.value


@needs_fer2013
@needs_media
@pytest.mark.slow
def test_200_images_equal_single_process(cluster: None, recognizer: en.EmotionRecognizer) -> None:
    photos = sorted(p for p in MEDIA.iterdir() if p.suffix in (".jpg", ".png"))
    crops = sorted((FER2013 / "test").glob("*/PrivateTest_*.jpg"))[: 200 - len(photos)]
    assert len(photos) + len(crops) == 200 and len(photos) >= 5

    got = analyze_images([str(p) for p in crops], mode="classify", concurrency=2, batch_size=32).to_pandas()
    assert len(got) == len(crops) and set(got.columns) == {*COLUMNS, "error"}
    want = recognizer.classify_faces([en.load_image(p) for p in crops])
    rows = _by_source(got)
    for path, pred in zip(crops, want):
        _assert_rows(rows[str(path)], [pred])

    got = analyze_images([str(p) for p in photos], concurrency=2, batch_size=4).to_pandas()
    rows = _by_source(got)
    assert set(rows) == {str(p) for p in photos}
    found = 0
    for path in photos:
        pred = recognizer.predict(path)
        found += len(pred)
        if len(pred):
            _assert_rows(rows[str(path)], list(pred))
        else:  # an image without faces still appears once, with face = -1
            assert list(rows[str(path)]["face"]) == [-1]
    assert found >= 7  # multi_face.jpg alone has 5


@pytest.mark.slow
def test_bad_images_become_error_rows(cluster: None, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.png"
    bad.write_bytes(ASTRONAUT.read_bytes()[:2000])
    got = analyze_images([str(ASTRONAUT), str(bad)], batch_size=8).to_pandas()
    rows = _by_source(got)
    assert list(rows[str(ASTRONAUT)]["emotion"]) == ["happy"]
    (error,) = rows[str(bad)]["error"]
    assert error.startswith("ImageReadError") and list(rows[str(bad)]["face"]) == [-1]


@pytest.mark.slow
def test_dataset_of_arrays_from_read_images(cluster: None, recognizer: en.EmotionRecognizer) -> None:
    ds = ray.data.read_images([str(ASTRONAUT)], include_paths=True)  # RGB arrays, PIL-decoded
    got = ds.map_batches(EmotionPredictor, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=1))
    row = got.to_pandas().iloc[0]
    rgb = ds.take(1)[0]["image"]
    want = recognizer.predict(rgb, color="rgb")[0]
    assert row["source"].endswith("astronaut.png") and row["emotion"] == want.emotion.value
    assert [row[e.value] for e in en.EMOTIONS] == list(want.probabilities.values())


def test_predictor_rejects_batches_without_image_or_id_column() -> None:
    predictor = EmotionPredictor()
    with pytest.raises(en.InvalidInputError, match="expected one of"):
        predictor({"id": np.array(["a"]), "pixels": np.zeros((1, 8, 8), np.uint8)})
    with pytest.raises(en.InvalidInputError, match="No id column"):
        predictor({"image": np.zeros((1, 8, 8), np.uint8)})
    with pytest.raises(en.InvalidInputError, match="mode"):
        EmotionPredictor(mode="detect")  # type: ignore[arg-type]


@needs_media
@pytest.mark.slow
def test_two_videos_equal_single_process(cluster: None, recognizer: en.EmotionRecognizer, tmp_path: Path) -> None:
    videos = [PEXELS, MEDIA / "single_face.mp4"]
    missing = tmp_path / "missing.mp4"
    jobs = analyze_videos([*videos, missing], tmp_path / "out", every_n_frames=3, progress=False)
    assert [j.source for j in jobs] == [str(v) for v in [*videos, missing]]
    assert jobs[2].output is None and jobs[2].error.startswith("ImageNotFoundError")
    for video, job in zip(videos, jobs):
        assert job.error == "" and job.output is not None and job.output.endswith(".parquet")
        want = recognizer.analyze_video(video, every_n_frames=3, progress=False)
        got = pd.read_parquet(job.output)
        assert job.rows == len(want) == len(got) > 0
        assert job.frames_read == want.frames_read and job.frames_analyzed == want.frames_analyzed
        pd.testing.assert_frame_equal(got, want.to_dataframe(), check_exact=True)


@pytest.mark.slow
def test_videos_as_csv_and_bad_format(cluster: None, tmp_path: Path) -> None:
    (job,) = analyze_videos([PEXELS], tmp_path, format="csv", every_n_frames=50, progress=False)
    assert job.output is not None and pd.read_csv(job.output)["frame"].tolist()[:2] == [0, 50]
    assert job.rows == len(pd.read_csv(job.output)) == 10  # streamed to the file, counted, not kept
    with pytest.raises(en.InvalidInputError, match="format"):
        analyze_videos([PEXELS], tmp_path, format="xlsx")  # type: ignore[arg-type]


def test_core_never_imports_ray() -> None:
    code = (
        "import sys, emotionnet as en; en.EmotionRecognizer(); import emotionnet.video.analysis, emotionnet.cli; "
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
