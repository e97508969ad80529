"""Train a small EmotionNet on FER2013 for a few epochs, evaluate it, and classify faces with it.

Usage: python examples/train_fer2013.py FER2013_DIR [OUT_DIR] [EPOCHS] [LIMIT]
(the shipped model's full command is in docs/models.md)
"""

import sys

from emotionnet import EmotionRecognizer
from emotionnet.cli import main

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/fer2013"
out = sys.argv[2] if len(sys.argv) > 2 else "runs/example"
epochs = sys.argv[3] if len(sys.argv) > 3 else "2"
limit = sys.argv[4] if len(sys.argv) > 4 else "2000"

main(["train", "--data", data, "--out", out, "--config", "compact", "--epochs", epochs, "--limit", limit])
main(["eval", "--model", f"{out}/best", "--data", data, "--limit", "500"])
recognizer = EmotionRecognizer(f"{out}/best")  # a save_pretrained directory loads like any model
print(recognizer.predict("examples/images/astronaut.png").summary())
