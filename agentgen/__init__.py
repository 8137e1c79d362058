"""agentgen: declarative agent specs in, plain typed Python you own out."""

__version__ = "0.1.0"
