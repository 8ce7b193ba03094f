"""The report's renderers by format name."""

from __future__ import annotations

import json as _json
from typing import Callable, Mapping

from .html import render_html
from .json import report_json
from .md import render_md
from .model import Report
from .txt import render_txt

RENDERERS: Mapping[str, Callable[[Report], str]] = {
    "md": render_md,
    "html": render_html,
    "json": lambda report: _json.dumps(report_json(report), indent=1),
    "txt": render_txt,
}
