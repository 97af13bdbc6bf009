"""Analysis on a Ray cluster: tasks per file and, for long files, per video segment (`--ray ADDRESS`).

Nothing here imports Ray at module import time: without `--ray` the engine never loads it.
"""
