"""Distillation: a slow teacher's soft outputs on unlabelled footage train a small student.

`footage` finds and decodes the clips (and splices generated cuts from them), `store` keeps the teacher's
outputs per clip by content hash so a rerun does no teacher work twice, `shots` runs the shot-boundary
pipeline end to end (teacher TransNetV2 -> student in engine/analysis/shot_student.py -> weights + card),
`studio` distils a large studio teacher (RT-DETR objects) when its weights are present.
"""
