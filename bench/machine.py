"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "agentgen",
    "pydantic",
    "langgraph",
    "langgraph-checkpoint-sqlite",
    "langchain-core",
    "pydantic-ai-slim",
    "openai-agents",
    "tiktoken",
    "baml-py",
    "datamodel-code-generator",
    "procrastinate",
    "dbos",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform says."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def version(package: str) -> str:
    """The installed version of `package`, or "not installed"."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> str:
    """One markdown paragraph: CPU, cores, OS, Python and package versions."""
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    return (
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}.\n\nPackages: {versions}."
    )
