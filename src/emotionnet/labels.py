"""The seven FER2013 emotions, in the canonical label order used by the literature."""

from __future__ import annotations

from enum import Enum


class Emotion(str, Enum):
    """An emotion label; its position in :data:`EMOTIONS` is the model's class index."""

    ANGRY = "angry"
    DISGUST = "disgust"
    FEAR = "fear"
    HAPPY = "happy"
    SAD = "sad"
    SURPRISE = "surprise"
    NEUTRAL = "neutral"

    def __str__(self) -> str:
        return self.value


EMOTIONS: tuple[Emotion, ...] = tuple(Emotion)
"""Class index -> emotion: angry, disgust, fear, happy, sad, surprise, neutral."""

LABELS: tuple[str, ...] = tuple(e.value for e in EMOTIONS)
"""The same names as plain strings: the labels of every bundled model."""
