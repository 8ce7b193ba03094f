"""Markdown under a hard size cap (a GitHub comment holds 65,536 characters): what is cut is said.

Sections are added in order of importance. A section either fits whole (``whole=True``: a picture
cut in half would mislead) or keeps as many of its lines as fit, and the note at the end says how
many lines of which section were left out and where the full data is.
"""

from __future__ import annotations

from typing import Sequence

CAP = 60_000
_NOTE_ROOM = 800  # kept free for the closing note


class CappedMarkdown:
    def __init__(self, cap: int = CAP, full_data: str = "") -> None:
        self.cap = cap
        self.full_data = full_data
        self.parts: list[str] = []
        self.size = 0
        self.cuts: list[str] = []

    def room(self) -> int:
        return self.cap - _NOTE_ROOM - self.size

    def add(self, text: str) -> bool:
        if len(text) + 1 > self.room():
            return False
        self.parts.append(text)
        self.size += len(text) + 1
        return True

    def section(self, head: Sequence[str], body: Sequence[str], tail: Sequence[str], what: str,
                whole: bool = False, share: float = 1.0) -> bool:
        """Add head, as many body lines as fit (all or none when ``whole``), tail; False if nothing fit.

        ``share``: the part of the cap this section may take at most, so that a long list leaves
        room for the sections after it.
        """
        head_text, tail_text = "\n".join(head), "\n".join(tail)
        fixed = len(head_text) + len(tail_text) + 2
        limit = min(self.room(), int(self.cap * share))
        if whole:
            text = "\n".join([*head, *body, *tail])
            if self.add(text):
                return True
            self.cuts.append(f"{what} (left out whole)")
            return False
        if fixed > limit:
            self.cuts.append(f"{what}: all {len(body)} left out")
            return False
        kept: list[str] = []
        used = fixed
        for line in body:
            if used + len(line) + 1 > limit:
                break
            kept.append(line)
            used += len(line) + 1
        self.add("\n".join([*head, *kept, *tail]))
        if len(kept) < len(body):
            self.cuts.append(f"{what}: {len(body) - len(kept)} of {len(body)} left out")
        return True

    def text(self) -> str:
        parts = list(self.parts)
        if self.cuts:
            parts.append(
                f"> **Cut to stay under {self.cap:,} characters:** " + "; ".join(self.cuts)
                + (f". The full data: {self.full_data}." if self.full_data else ".")
            )
        out = "\n".join(parts)
        return out[: self.cap]
