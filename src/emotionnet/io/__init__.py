"""Input: images and videos in, validated BGR uint8 frames out.

- :mod:`.image`: paths, URLs, bytes, arrays, PIL images and tensors -> one BGR image (``load_image``).
- :mod:`._headers`: sizes, truncation and EXIF orientation read from file headers before decoding.
- :mod:`.video`: video files, cameras and stream URLs opened and read frame by frame.
"""
