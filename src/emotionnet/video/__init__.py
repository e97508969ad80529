"""Video files and live streams.

- :mod:`.analysis`: ``analyze_video`` over a file (every n-th frame, ``detect_every``, tracks).
- :mod:`.tracking`: IoU face tracks and probability smoothing.
- :mod:`.stream`: a live source read by a latest-frame thread.
- :mod:`.live`: the browser view of a live stream (MJPEG on 127.0.0.1).
- :mod:`.results`: ``VideoPrediction`` and its rows, CSV/JSON/DataFrame and timeline plot.

These modules receive the recognizer's ``predict`` as a callable; they never import it.
"""
