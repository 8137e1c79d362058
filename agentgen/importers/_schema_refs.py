"""Resolving the `$ref`s of an imported document, with `referencing` (what jsonschema uses)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse
from urllib.request import url2pathname

from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012


class Refs:
    """The `$ref`s of one document: JSON pointers into it, and into JSON or YAML files beside it."""

    def __init__(self, document: Any, uri: str, load: Callable[[Path], Any] | None = None) -> None:
        self.uri = uri
        self._load = load
        self._files: dict[str, Resource[Any]] = {}
        resource = DRAFT202012.create_resource(document)
        # `retrieve` and `ref` are attrs aliases, which mypy's attrs plugin does not see.
        registry = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self._registry = registry.with_resource(uri, resource)

    def lookup(self, ref: str, base: str) -> tuple[str, Any] | str:
        """The absolute URI of `ref` and what it points at; else why it cannot be resolved."""
        absolute = urldefrag(base).url + ref if ref.startswith("#") else urljoin(base, ref)
        try:
            return absolute, self._registry.resolver().lookup(absolute).contents
        except Unresolvable as error:
            # A file that failed to load says why; for a pointer to nowhere the ref says it all.
            cause = error.__cause__
            return f"cannot resolve $ref '{ref}'" + (f": {cause}" if cause else "")

    def _retrieve(self, uri: str) -> Resource[Any]:
        """A file beside the document (only those: nothing is fetched)."""
        parsed = urlparse(uri)
        if self._load is None or parsed.scheme != "file":
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        if uri not in self._files:
            document = self._load(Path(url2pathname(parsed.path)))
            self._files[uri] = DRAFT202012.create_resource(document)
        return self._files[uri]
