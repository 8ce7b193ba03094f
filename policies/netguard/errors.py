"""Typed errors of the engine.

Bad input never ends in a traceback or in a silent default that could widen access: the loader
raises NetguardInputError, which names the file, the object, the field and the problem, so that a
reviewer can fix the manifest from the message alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class NetguardInputError(ValueError):
    """Invalid input: a manifest, a command-line value or an endpoint id that does not exist.

    str() is one line: ``source: Kind namespace/name: field.path: problem`` (empty parts omitted).
    """

    def __init__(self, problem: str, *, source: str = "", obj: str = "", field: str = "") -> None:
        self.source = source
        self.obj = obj
        self.field = field
        self.problem = problem
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [p for p in (self.source, self.obj, self.field, self.problem) if p]
        return ": ".join(" ".join(p.split()) for p in parts)

    def __str__(self) -> str:
        return self._line()

    def __reduce__(self):  # keep the error picklable despite keyword-only arguments
        return (_rebuild, (self.problem, self.source, self.obj, self.field))


class UnknownEndpointError(NetguardInputError):
    """An endpoint id (``namespace/name`` or ``external/IP``) that the cluster does not contain."""

    def __init__(self, endpoint_id: str, field: str = "endpoint") -> None:
        super().__init__(f"no endpoint {endpoint_id!r} in the manifests", field=field)
        self.endpoint_id = endpoint_id

    def __reduce__(self):
        return (UnknownEndpointError, (self.endpoint_id, self.field))


def _rebuild(problem: str, source: str, obj: str, field: str) -> NetguardInputError:
    return NetguardInputError(problem, source=source, obj=obj, field=field)


@dataclass(frozen=True)
class Location:
    """Where a value sits in the input: file, object and field path. Builds errors that name all three."""

    source: str = ""
    obj: str = ""
    field: str = ""

    def key(self, name: str) -> "Location":
        return Location(self.source, self.obj, f"{self.field}.{name}" if self.field else name)

    def index(self, i: int) -> "Location":
        return Location(self.source, self.obj, f"{self.field}[{i}]")

    def of(self, obj: str) -> "Location":
        return Location(self.source, obj, "")

    def error(self, problem: str) -> NetguardInputError:
        return NetguardInputError(problem, source=self.source, obj=self.obj, field=self.field)


def unknown_key(raw: Mapping, known: frozenset[str] | set[str]) -> str | None:
    """The first key of ``raw`` (in text order) that is not ``known``, as text; None when all are.

    YAML keys may be ints, bools or null (``1:``, ``on:``, ``~:``): compare them as text.
    """
    unknown = [str(k) for k in raw if k not in known]
    return min(unknown) if unknown else None


def kind_of(value: object) -> str:
    """A short phrase for a value of the wrong type, for error messages."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
