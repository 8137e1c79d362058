"""The spec an import writes: a new file, or an existing one with tables appended to it.

An existing spec keeps every byte it had: the tables go after them, in its line endings, so
that a diff shows only what was added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentgen.importers._drafts import ImportRefused, ToolDraft
from agentgen.importers._toml import comment, table


def tables_text(drafts: Sequence[ToolDraft], types: Mapping[str, dict[str, Any]]) -> str:
    """The `[tools.<name>]` tables, each under its comment, then the `[types.<Name>]` they use."""
    blocks = [
        [*(comment(line) for line in d.comment), *table(("tools", d.name), d.table)] for d in drafts
    ]
    blocks += [table(("types", name), schema) for name, schema in types.items()]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def new_spec(header: str, agent: Mapping[str, str], tables: str) -> bytes:
    """A whole spec: a comment, a minimal [agent] table, and the tables."""
    head = "\n".join([comment(header), "", *table(("agent",), agent)])
    return f"{head}\n\n{tables}".encode()


def appended(existing: bytes, tables: str) -> bytes:
    """`existing`, unchanged, then a blank line and the tables, in the file's line endings."""
    newline = "\r\n" if b"\r\n" in existing else "\n"
    separator = newline if existing and not existing.endswith(b"\n") else ""
    return existing + (separator + newline + tables.replace("\n", newline)).encode()


def write(path: Path, content: bytes, original: bytes | None) -> None:
    """Create `path` with `content`, or append to it what `content` adds to `original`."""
    try:
        if original is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("xb") as created:  # never over a file made meanwhile
                created.write(content)
            return
        if path.read_bytes() != original:
            raise ImportRefused(f"{path} changed while importing: run the import again")
        with path.open("ab") as file:
            file.write(content[len(original) :])
    except FileExistsError:
        raise ImportRefused(f"{path} appeared while importing: run the import again") from None
    except OSError as error:
        raise ImportRefused(f"cannot write {path}: {error.strerror or error}") from None
