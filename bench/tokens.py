"""tiktoken's o200k_base offline: its vocabulary file comes from a PyPI wheel, hash-checked."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from importlib import resources
from pathlib import Path

import tiktoken

# tiktoken caches a download under sha1(url) and checks the file's sha256 itself
URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def seed_cache() -> Path:
    """Put o200k_base into tiktoken's cache from the copy that the bpe-openai wheel ships."""
    cache = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(sys.prefix) / "tiktoken")))
    target = cache / hashlib.sha1(URL.encode()).hexdigest()
    if not target.exists():
        packed = resources.files("bpe_openai") / "data" / "o200k_base.tiktoken.gz"
        cache.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(packed.read_bytes()))
    return target


def o200k_base() -> tiktoken.Encoding:
    """The o200k_base encoding; tiktoken refuses the seeded file if its sha256 is not OpenAI's."""
    seed_cache()
    return tiktoken.get_encoding("o200k_base")
