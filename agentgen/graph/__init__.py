"""An agent's control flow as a Mermaid flowchart, for `agentgen graph SPEC`."""

from agentgen.graph._mermaid import END_ID, START_ID, mermaid_graph, mermaid_text

__all__ = ["END_ID", "START_ID", "mermaid_graph", "mermaid_text"]
