"""Render an agent's IR into the source files of its package, through Jinja2 templates."""

from __future__ import annotations

from agentgen.render._files import HANDLERS_FILE, PACKAGE_FILES, render_package

__all__ = ["HANDLERS_FILE", "PACKAGE_FILES", "render_package"]
