"""Behaviour tests and evals written in specs (`[[tests]]`), and replays of stored threads."""

from agentgen.testing._replay import Replay, ThreadReplay, run_replay
from agentgen.testing._reports import FORMATS, render_cases, render_replays, summary
from agentgen.testing._suite import CaseReport, Suite, TestOptions, run_tests

__all__ = [
    "FORMATS",
    "CaseReport",
    "Replay",
    "Suite",
    "TestOptions",
    "ThreadReplay",
    "render_cases",
    "render_replays",
    "run_replay",
    "run_tests",
    "summary",
]
