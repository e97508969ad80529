"""The ``emotionnet`` command: argument parsing (:mod:`.main`) and the inference commands (:mod:`.commands`)."""

from .main import main

__all__ = ["main"]
