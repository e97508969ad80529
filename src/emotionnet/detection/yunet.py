"""YuNet on ONNX Runtime: the network OpenCV's ``FaceDetectorYN`` runs, with the same decoding.

ONNX Runtime runs YuNet's depthwise convolutions 2-4x faster than OpenCV DNN on a laptop CPU
(docs/performance.md). Decoding follows OpenCV's ``FaceDetectorYN`` step for step (pad to a
multiple of 32, ``sqrt(cls * obj)`` scores, anchor-free boxes and landmarks per stride, then
``cv2.dnn.NMSBoxes`` on integer boxes), so both runtimes return the same faces.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..runtimes.ort import cpu_session

STRIDES = (8, 16, 32)
DIVISOR = 32


class YuNetOnnxRuntime:
    """Detect faces with a YuNet ONNX file through ONNX Runtime.

    Args:
        path: YuNet ONNX file with dynamic height and width (the bundled ones are).
        score_threshold: Drop candidates scoring below this.
        nms_threshold: IoU above which overlapping candidates are merged.
        threads: ONNX Runtime intra-op threads.

    ``detect`` returns an ``(N, 15)`` float32 array laid out like ``FaceDetectorYN.detect``:
    x, y, w, h, five (x, y) landmarks, score. Thread-safe (ONNX Runtime sessions are).
    """

    def __init__(self, path: Path, score_threshold: float, nms_threshold: float, threads: int) -> None:
        self.session = cpu_session(path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Faces in a BGR uint8 image, highest score first, as an ``(N, 15)`` array.

        Args:
            bgr: A BGR uint8 image ``(H, W, 3)``.

        Returns:
            Rows of box ``(x, y, w, h)``, five landmarks ``(x, y)`` and the score.
        """
        h, w = bgr.shape[:2]
        pad_h, pad_w = -(-h // DIVISOR) * DIVISOR, -(-w // DIVISOR) * DIVISOR
        planes = cv2.split(bgr)  # contiguous planes convert faster than a strided transpose
        if (pad_h, pad_w) == (h, w):
            blob = np.stack(planes).astype(np.float32)[None]
        else:
            blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
            for c, plane in enumerate(planes):
                blob[0, c, :h, :w] = plane
        outputs = dict(zip(self.output_names, self.session.run(None, {self.input_name: blob})))
        faces = np.concatenate([self._decode(outputs, stride, pad_w) for stride in STRIDES])
        if len(faces) > 1:
            boxes = [[int(v) for v in row[:4]] for row in faces]  # OpenCV truncates to int boxes too
            keep = cv2.dnn.NMSBoxes(boxes, faces[:, 14].tolist(), self.score_threshold, self.nms_threshold)
            faces = faces[np.asarray(keep, np.int64).reshape(-1)]
        return faces

    def _decode(self, outputs: dict[str, np.ndarray], stride: int, pad_w: int) -> np.ndarray:
        cls = np.clip(outputs[f"cls_{stride}"][0, :, 0], 0.0, 1.0)
        obj = np.clip(outputs[f"obj_{stride}"][0, :, 0], 0.0, 1.0)
        score = np.sqrt(cls * obj)
        (idx,) = np.nonzero(score >= self.score_threshold)
        rows, cols = np.divmod(idx, pad_w // stride)
        bbox = outputs[f"bbox_{stride}"][0, idx]
        cx, cy = (cols + bbox[:, 0]) * stride, (rows + bbox[:, 1]) * stride
        bw, bh = np.exp(bbox[:, 2]) * stride, np.exp(bbox[:, 3]) * stride
        kps = outputs[f"kps_{stride}"][0, idx].reshape(-1, 5, 2)
        kps = (kps + np.stack([cols, rows], axis=1)[:, None, :]) * stride
        out = np.column_stack([cx - bw / 2, cy - bh / 2, bw, bh, kps.reshape(-1, 10), score[idx]])
        return out.astype(np.float32).reshape(-1, 15)
