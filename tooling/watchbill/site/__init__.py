"""The status and postmortem site: view models, pages, JSON API, feed and badges, assembled by mkdocs.

``build_files`` is the engine-neutral core (organisation in, folder tree out); ``plugin`` is the mkdocs
glue that calls it.
"""

from .audience import AUDIENCES, Audience, parse_audience
from .build import build_files, write_tree

__all__ = ["AUDIENCES", "Audience", "build_files", "parse_audience", "write_tree"]
