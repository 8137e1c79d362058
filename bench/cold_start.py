"""Cold start: a new process that imports an agent, or shows one of its threads.

Each command runs in a new Python process of the bench venv from the repository root, on the
committed generated/calculator package and a calculator thread stored in a new SQLite file,
bytecode written once before (as it is after `pip install` or a first run; without it every
run compiles the package anew). The commands alternate run after run, and two floors run with
them: the interpreter alone, the libraries imported (pydantic, asyncio), and those libraries
put to use by a program that builds one pydantic model (pydantic loads most of itself, and its
plugin entry points, on the first model). Target: `show` at or under 0.15 s.

    python -X importtime -m generated.calculator show ID    # where the time goes
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from .stats import Row, fmt, median, target

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = "cold start: a new Python process"
TARGET_S = 0.15
SHOW = "python -m generated.calculator show ID"
MODEL_FLOOR = "one pydantic model built, asyncio (floor: the libraries in use)"
COMMANDS = {
    "python -c pass (floor: the interpreter)": ["-c", "pass"],
    "import pydantic, asyncio (floor: the libraries)": ["-c", "import pydantic, asyncio"],
    MODEL_FLOOR: ["-c", "import asyncio\nimport pydantic\npydantic.create_model('A', x=int)"],
    "import generated.calculator": ["-c", "import generated.calculator"],
    SHOW: ["-m", "generated.calculator", "show"],
}


def stored_thread(store_url: str) -> str:
    """A calculator thread waiting for approval, stored at `store_url`; its id."""
    from agentgen.runtime import ScriptedModel, store_from_url
    from generated.calculator import launch

    model = ScriptedModel([{"intent": "divide", "a": 3, "b": 4}])
    thread = asyncio.run(launch("divide 3 by 4", model=model, store=store_from_url(store_url)))
    return thread.id


def seconds(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of one process, from start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def rows(repeats: int, workdir: Path) -> list[Row]:
    """Each command's median over 3 x repeats alternating runs."""
    store_url = f"sqlite:///{workdir / 'cold-start.db'}"
    thread_id = stored_thread(store_url)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["AGENTGEN_STORE"] = store_url
    commands = {
        label: argv + [thread_id] if label == SHOW else argv for label, argv in COMMANDS.items()
    }
    for argv in commands.values():
        seconds(argv, env)  # writes the bytecode
    runs: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(3 * repeats):
        for label, argv in commands.items():
            runs[label].append(seconds(argv, env))
    note = f"{3 * repeats} runs, alternating"
    return [
        Row(BENCHMARK, label, "1 process", median(runs[label]), "s", note) for label in commands
    ]


def targets(found: list[Row]) -> list[str]:
    """Issue 14's cold-start target."""
    measured = {row.system: row.value for row in found if row.benchmark == BENCHMARK}
    label = f"`{SHOW}` at or under {TARGET_S} s"
    value, floor = measured.get(SHOW), measured.get(MODEL_FLOOR)
    if floor is not None:
        label += f" (the libraries in use alone: {fmt(floor)} s)"
    return [target(label, value, " s", value is not None and value <= TARGET_S)]
