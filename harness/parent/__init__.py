"""The parent side of a run: the job handed to a recording process, the launch of that process
in a fresh interpreter (and what happened to it), and the rounds of `run --keep-going`.

Nothing here imports torch: torch lives in the recording process (`harness/recording/`).
"""
