"""A pytest plugin: the `[[tests]]` of the project's specs run in its own `pytest`, by name.

Only spec files inside the project's specs folder (`[tool.agentgen] specs`, default specs/)
are collected, when pytest is pointed at them (`pytest specs`, or `testpaths`). Live cases run
with `--agentgen-model provider:name` and are skipped without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from agentgen.testing import CaseReport, Suite


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentgen")
    group.addoption(
        "--agentgen-model",
        default=None,
        help="Run the specs' live cases against this model (provider:name).",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.suffix != ".toml" or not _in_specs_folder(file_path, parent.config):
        return None
    return SpecFile.from_parent(parent, path=file_path)


def _in_specs_folder(file_path: Path, config: pytest.Config) -> bool:
    from agentgen.config import ConfigError, load_config

    try:
        specs = load_config(config.rootpath).specs
    except ConfigError:
        return False
    folder = specs if specs.is_absolute() else config.rootpath / specs
    return file_path.resolve().parent == folder.resolve()


class SpecFile(pytest.File):
    """One spec: an item per case, all run on first use (the package is rendered once)."""

    _suite: Suite | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from agentgen.validate import validate_file

        result = validate_file(self.path)
        if result.spec is None:
            yield SpecItem.from_parent(self, name="validate")
            return
        for case in result.spec.tests:
            yield CaseItem.from_parent(self, name=case.name)

    def suite(self) -> Suite:
        """The spec's cases, run once for all its items."""
        if self._suite is None:
            from agentgen.config import load_config
            from agentgen.testing import TestOptions, run_tests

            model = self.config.getoption("--agentgen-model")
            config = load_config(self.config.rootpath)
            self._suite = run_tests([self.path], config, TestOptions(model=model))
        return self._suite


class SpecItem(pytest.Item):
    """An invalid spec: one failing item with its diagnostics."""

    def runtest(self) -> None:
        from agentgen.diagnostics import render

        assert isinstance(self.parent, SpecFile)
        diagnostics = [d for r in self.parent.suite().results for d in r.diagnostics]
        raise SpecTestFailure(render(diagnostics, "text"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "validate"


class CaseItem(pytest.Item):
    """One case of a spec's [[tests]]."""

    def runtest(self) -> None:
        from agentgen.testing import render_cases

        report = self._report()
        if report.skipped is not None:
            pytest.skip(report.skipped)
        if report.verdict(1.0) == "failed":
            raise SpecTestFailure(render_cases([report], "text", 1.0))

    def _report(self) -> CaseReport:
        assert isinstance(self.parent, SpecFile)
        suite = self.parent.suite()
        return next(case for case in suite.cases if case.name == self.name)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SpecTestFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


class SpecTestFailure(Exception):
    """A case that did not pass, or a spec that is invalid: shown as agentgen words it."""
