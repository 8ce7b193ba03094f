"""The fast YAML path: ryaml (Rust, libyaml's scanner and parser ported) where it cannot differ.

ryaml resolves plain scalars by YAML 1.2's core schema; the reference path (PyYAML, see
``documents.py``) by YAML 1.1 with kubectl's choices. The two differ only on a few plain-scalar
shapes (``yes``/``no``/``on``/``off``, leading zeros, underscores in numbers, exponents without a
dot, ``+.5``, integers past 64 bits), on tags (``!!int``, custom ``!foo``), merge keys (``<<``) and an anchor named twice. A text holding any of
them, read by neither rule for sure, goes to the reference path; so does every text ryaml cannot
read (the reference names the problem) and every stream with an empty document (the two number
documents differently around them). ``tests/engine/test_yaml_paths.py`` checks that on generated
texts.
"""

from __future__ import annotations

import re
from typing import Any, Optional

try:  # optional: the pack ships policies/ with PyYAML alone
    import ryaml
except ImportError:  # pragma: no cover - depends on the environment
    ryaml = None

# A whole plain scalar: after a line start (the text is searched with a newline in front), a space,
# a flow indicator or a colon (`{"a":yes}`); up to the end of the line, a comment, a flow
# indicator or a key's colon.
# Matching inside quoted text or a block scalar only sends the text to the reference path.
_START = r"[ \t\[{,:\n](?=[-+.0-9YyNnOo])"  # the lookahead first: most positions fail at once
_END = r"(?=[ \t\r]*(?:$|#|[,\]}]|:(?:[ \t\r]|$)))"
_SHAPES = "|".join((
    r"[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF",  # YAML 1.1 booleans
    r"[-+]?0[0-9_]+(?:\.[0-9_]*)?|[-+]?0o[0-9A-Fa-f_]+",  # leading zeros: 1.1 octal, 1.2 decimal
    r"[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9_]+",  # exponents: 1.1 needs the dot and the sign
    r"[-+]?\.[0-9A-Za-z_]+",  # .5, +.5, .nan (NaN keys never compare equal), .inf
    r"[-+]?[0-9]{19,}(?:\.[0-9]*)?",  # past 64 bits ryaml makes an integer a float
    r"[-+]?(?:0x[0-9A-Fa-f_]*|0b[01_]*|[0-9.][0-9._]*)_[0-9A-Fa-f._]*",  # underscores in numbers
))
_SCALAR_SHAPE = re.compile(rf"{_START}(?:{_SHAPES}){_END}", re.MULTILINE)
_TAG = re.compile(r"[ \t\[{,\n]!")
_ANCHOR = re.compile(r"&(?<=[ \t\[{,\n]&)([^ \t\r\n,\[\]{}]+)")
_DOCUMENT_START = re.compile(r"\n(?:---|\.\.\.)(?=[ \t\r\n])")


def _may_differ(text: str) -> bool:
    text = "\n" + text
    if "<<" in text or "%TAG" in text or ("!" in text and _TAG.search(text)):
        return True
    if "&" in text and _anchor_named_twice(text):
        return True
    return _SCALAR_SHAPE.search(text) is not None


def _anchor_named_twice(text: str) -> bool:
    """PyYAML rejects an anchor name used twice in one document; ryaml takes the last."""
    for document in _DOCUMENT_START.split(text):
        names = _ANCHOR.findall(document)
        if len(names) != len(set(names)):
            return True
    return False


def available() -> bool:
    return ryaml is not None


def fast_documents(text: str) -> Optional[list[Any]]:
    """The documents of a YAML stream as the reference path reads them, or None: ask the reference."""
    if ryaml is None or _may_differ(text):
        return None
    try:
        documents = ryaml.loads_all(text)
    except Exception:  # ryaml's errors (and Rust panics) vary: the reference reports the problem
        return None
    if not isinstance(documents, list) or any(d is None for d in documents):
        return None
    return documents

