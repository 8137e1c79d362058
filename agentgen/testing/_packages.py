"""Generated packages imported from memory: what the specs produce now, with nothing written."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from types import ModuleType

from agentgen.config import Config
from agentgen.plan import build_plan
from agentgen.render import HANDLERS_FILE
from agentgen.validate import SpecResult, validate_file

_counter = itertools.count()


class MemoryPackages(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Serves `<root>.<agent>.<module>` from rendered sources held in a dict."""

    def __init__(self, root: str, sources: dict[str, str]) -> None:
        # "calculator/agent.py" -> "<root>.calculator.agent"; folders become packages
        self.root = root
        self._sources: dict[str, str] = {}
        self._packages: set[str] = {root}
        for path, text in sources.items():
            parts = PurePosixPath(path).with_suffix("").parts
            name = ".".join((root, *parts))
            if parts[-1] == "__init__":
                name = name.removesuffix(".__init__")
                self._packages.add(name)
            self._sources[name] = text
            self._packages.update(".".join((root, *parts[:i])) for i in range(1, len(parts)))

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._sources and fullname not in self._packages:
            return None
        is_package = fullname in self._packages
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)
        spec.origin = f"<agentgen test: {fullname}>"
        if is_package:
            spec.submodule_search_locations = []
        return spec

    def get_source(self, fullname: str) -> str:
        return self._sources.get(fullname, "")

    def is_package(self, fullname: str) -> bool:
        return fullname in self._packages

    def exec_module(self, module: ModuleType) -> None:
        origin = module.__spec__.origin if module.__spec__ is not None else None
        code = compile(self.get_source(module.__name__), origin or module.__name__, "exec")
        exec(code, module.__dict__)

    def agent(self, name: str) -> ModuleType:
        """The agent's package, imported (its modules load as they are needed)."""
        return importlib.import_module(f"{self.root}.{name}")

    def close(self) -> None:
        """Forget the modules, so that the next run renders and imports afresh."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in [m for m in sys.modules if m == self.root or m.startswith(self.root + ".")]:
            del sys.modules[name]


def install(sources: dict[str, str], own_handlers: dict[str, str]) -> MemoryPackages:
    """Put the rendered packages on the import path, each with the project's handlers.py if any."""
    merged = dict(sources)
    for agent, text in own_handlers.items():
        merged[f"{agent}/{HANDLERS_FILE}"] = text
    packages = MemoryPackages(f"_agentgen_test_{next(_counter)}", merged)
    sys.meta_path.insert(0, packages)
    return packages


def import_agents(results: list[SpecResult], config: Config) -> MemoryPackages:
    """Each agent rendered and importable, with the sub-agents it runs and the user's handlers."""
    rendering = [*results, *_children(results)]
    plan = build_plan(rendering, Path(), config.templates)
    sources = {file.path.as_posix(): file.text for file in plan.files}
    own = {}
    for result in rendering:
        assert result.spec is not None
        handlers = config.out / result.spec.agent.name / HANDLERS_FILE
        if handlers.is_file():
            own[result.spec.agent.name] = handlers.read_text(encoding="utf-8")
    return install(sources, own)


def _children(results: list[SpecResult]) -> list[SpecResult]:
    """The specs beside the given ones that they run as sub-agents (validated above)."""
    names = {r.spec.agent.name for r in results if r.spec is not None}
    wanted = {
        tool.agent
        for r in results
        if r.spec is not None
        for tool in r.spec.tools.values()
        if tool.agent is not None and tool.agent not in names
    }
    found: list[SpecResult] = []
    folders = sorted({Path(r.name).parent for r in results})
    for path in (p for folder in folders for p in sorted(folder.glob("*.toml"))):
        result = validate_file(path) if wanted else None
        if result is not None and result.spec is not None and result.spec.agent.name in wanted:
            wanted.discard(result.spec.agent.name)
            names.add(result.spec.agent.name)
            found.append(result)
    return found
