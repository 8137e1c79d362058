"""Handler stubs appended to a user's handlers.py: no import twice, none below code, ruff clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentgen.merge import append_handlers

RUFF = Path(sys.executable).parent / "ruff"
# what agentgen writes for a calculator that gains `power` (returns Any) and `area` (a spec type)
NEW = '''"""Handlers."""

from __future__ import annotations

from typing import Any

from .tools import Add, Area, Power, Shape


def add(call: Add) -> float:
    """Add."""
    raise NotImplementedError("handler 'add' is not written yet: see handlers.py")


def power(call: Power) -> Any:
    """Power."""
    raise NotImplementedError("handler 'power' is not written yet: see handlers.py")


def area(call: Area) -> Shape:
    """Area."""
    raise NotImplementedError("handler 'area' is not written yet: see handlers.py")
'''
ADD = '''

def add(call: Add) -> float:
    """Add."""
    return call.a + call.b
'''
STUBS = '''

def power(call: Power) -> Any:
    """Power."""
    raise NotImplementedError("handler 'power' is not written yet: see handlers.py")


def area(call: Area) -> Shape:
    """Area."""
    raise NotImplementedError("handler 'area' is not written yet: see handlers.py")
'''
USERS = {
    "as generated": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "from .tools import Add\n" + ADD,
    "Any imported already": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "from typing import Any\n\nfrom .tools import Add\n\nLIMITS: dict[str, Any] = {}\n" + ADD,
    "a third-party import": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "import httpx\nfrom pydantic import BaseModel\n\nfrom .tools import Add\n\n"
    "CLIENT = httpx.Client()\nModel = BaseModel\n" + ADD,
    "an aliased import": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "from .tools import Add as Adding\n\nAdd = Adding\n" + ADD,
    "a parenthesised import": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "from .tools import (\n    Add,\n)\n" + ADD,
    "a comment in the import": '"""Handlers."""\n\nfrom __future__ import annotations\n\n'
    "from .tools import Add  # the one tool\n" + ADD,
    "no docstring, no future": "from .tools import Add\n" + ADD,
}


def _ruff_problems(text: str, folder: Path) -> str:
    """What ruff's default rules, import sorting and unused-noqa say of `text` (empty: none)."""
    package = folder / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "handlers.py").write_text(text, encoding="utf-8")
    command = [str(RUFF), "check", "--isolated", "--select", "E4,E7,E9,F,I,RUF100", "--quiet"]
    done = subprocess.run(
        [*command, "--output-format", "concise", str(package / "handlers.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("case", sorted(USERS))
def test_appended_stubs_keep_handlers_ruff_clean(case: str, tmp_path: Path) -> None:
    yours = USERS[case]
    assert _ruff_problems(yours, tmp_path) == "", "the user's file starts clean"
    merged = append_handlers(yours, NEW, ["power", "area"])
    assert merged.endswith(STUBS)
    assert _ruff_problems(merged, tmp_path) == ""
    compile(merged, "handlers.py", "exec")


def test_a_name_already_imported_is_not_imported_again() -> None:
    merged = append_handlers(USERS["Any imported already"], NEW, ["power", "area"])
    assert merged.count("import Any") == 1
    assert "from .tools import Add, Area, Power, Shape\n" in merged
    assert "noqa" not in merged


def test_names_join_the_users_import_and_the_rest_is_untouched() -> None:
    yours = USERS["as generated"]
    merged = append_handlers(yours, NEW, ["power", "area"])
    assert merged == (
        '"""Handlers."""\n\nfrom __future__ import annotations\n\nfrom typing import Any\n\n'
        "from .tools import Add, Area, Power, Shape\n" + ADD + STUBS
    )


def test_a_comment_stays_where_ruff_keeps_it() -> None:
    merged = append_handlers(USERS["a comment in the import"], NEW, ["power", "area"])
    assert "from .tools import (\n    Add,  # the one tool\n    Area,\n    Power,\n" in merged
    two = USERS["a comment in the import"].replace("import Add  #", "import Add, Sub  #")
    merged = append_handlers(two + "\nSUB = Sub\n", NEW, ["power", "area"])
    assert "from .tools import Add, Area, Power, Shape, Sub  # the one tool\n" in merged


def test_a_long_import_is_wrapped_as_ruff_formats_it() -> None:
    names = [f"VeryLongToolCallName{i}" for i in range(6)]
    new = NEW.replace(
        "from .tools import Add, Area, Power, Shape",
        "from .tools import " + ", ".join(["Add", "Area", "Power", "Shape", *names]),
    )
    new += "".join(f"\n\ndef t{i}(call: {n}) -> None:\n    pass\n" for i, n in enumerate(names))
    merged = append_handlers(USERS["as generated"], new, [f"t{i}" for i in range(6)])
    assert "from .tools import (\n    Add,\n    VeryLongToolCallName0,\n" in merged
