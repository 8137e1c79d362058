"""`python -m agentgen`."""

from agentgen.cli import main

main()
