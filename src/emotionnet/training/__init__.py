"""Training and evaluation of EmotionNet on FER2013. Never imported by the inference path."""
