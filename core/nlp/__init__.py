"""Text models: the two base encoders, fast and accurate, and their files (``base_model``; the accurate one assembled
and verified by ``accurate_encoder``), where and how models run (``device``: device, precision, batch size, the one
bounded cache of loaded models), the classifier networks (``model``) and their inference path (``classifier``), the
base sentence encoders (``sentence_encoder``), training (``training``,
``datacheck``, ``evaluation``), model files (``store``), the registry of versions (``registry``) and the shipped
defaults (``defaults``).

Beacon never downloads a model: importing this package switches the Hugging Face hub offline for the process
(before anything imports ``transformers``), unless the environment says otherwise.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
