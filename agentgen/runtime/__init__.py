"""The runtime of generated agents, re-exported: it lives in `agentgen_runtime` (agentgen-runtime).

Generated packages import `agentgen_runtime` itself; this name stays for code written against it.
"""

from agentgen_runtime import *  # noqa: F403
from agentgen_runtime import __all__ as __all__
