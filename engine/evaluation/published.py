"""Published figures our benchmark table prints beside ours (the papers are cited in the README).

Keyshot F1 (%) at 15 %, canonical splits (5-fold, "C" setting); QVHighlights HD on the test split at
>= Very Good. Our figures run on the whole file the user provides (for QVHighlights usually val).
"""

from __future__ import annotations

SUMMARISATION: dict[str, list[tuple[str, float]]] = {
    "tvsum": [
        ("vsLSTM (Zhang et al., ECCV 2016)", 54.2),
        ("dppLSTM (Zhang et al., ECCV 2016)", 54.7),
        ("DR-DSN, unsupervised (Zhou et al., AAAI 2018)", 57.6),
    ],
    "summe": [
        ("vsLSTM (Zhang et al., ECCV 2016)", 37.6),
        ("dppLSTM (Zhang et al., ECCV 2016)", 38.6),
        ("DR-DSN, unsupervised (Zhou et al., AAAI 2018)", 41.4),
    ],
}

HIGHLIGHTS: list[tuple[str, float, float]] = [
    # name, HD mAP, HIT@1
    ("Moment-DETR (Lei et al., NeurIPS 2021), test", 35.69, 55.60),
]
