"""Source frontends: Worker source files read into syntactic Facts (see auditor.facts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.facts import FileFacts
    from auditor.sources import SourceFile


def parse_source(source: SourceFile) -> FileFacts:
    """Facts of one file, from the frontend of its language (imported only when needed)."""
    if source.language == "python":
        from auditor.frontends import python

        return python.parse_file(source.display, source.source)
    from auditor.frontends import typescript

    return typescript.parse_file(source.display, source.source, source.language)
