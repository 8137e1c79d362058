"""Behaviour tests and evals written in specs (`[[tests]]`), and replays of stored threads."""

from agentgen.testing._replay import Replay, ThreadReplay, run_replay
from agentgen.testing._replay_reports import render_replays, replay_summary
from agentgen.testing._reports import FORMATS, render_cases, summary
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
    "replay_summary",
    "run_replay",
    "run_tests",
    "summary",
]
