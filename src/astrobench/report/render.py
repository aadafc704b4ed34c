"""Templates -> text. HTML autoescapes every value (catalog and config strings included);
Markdown escapes table cells through the `cell` filter."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import jinja2


def markdown_cell(value: Any) -> str:
    """A value made safe for a Markdown table cell: HTML escaped, pipes and newlines neutralised."""
    return html.escape(str(value)).replace("|", "\\|").replace("\n", " ")


def slug(value: Any) -> str:
    """An anchor id for a heading: lower case, runs of anything but letters and digits -> '-'."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("astrobench.report", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = markdown_cell
    environment.filters["slug"] = slug
    return environment


def render_html(context: dict[str, Any]) -> str:
    """report.html: one self-contained page, figures as data: URIs."""
    return _environment(True).get_template("report.html.j2").render(**context)


def render_markdown(context: dict[str, Any]) -> str:
    """report.md: the same content, figures linked from figures/."""
    return _environment(False).get_template("report.md.j2").render(**context)
