"""Observed connections, aggregated while reading: memory grows with distinct connections, not records.

Each record that opens or carries a connection (not a reply) adds to the tally of its (source,
destination, protocol, port): how many records, which verdicts, the first and last time. Replies
and records with no layer-4 port are counted apart. A bad line is counted with its line number
(the first ``MAX_BAD_LINES`` numbers are kept) and never stops the reading.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import IO, Iterator, Optional

from ..errors import NetguardInputError
from .hubble import POLICY_DROPS, BadRecord, Peer, Record, parse_line

MAX_BAD_LINES = 1000
MAX_PROBLEMS = 20
PASSED = frozenset({"FORWARDED", "REDIRECTED"})  # the datapath let the traffic through


@dataclass
class Tally:
    observed: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    passed: int = 0  # FORWARDED or REDIRECTED
    denied: int = 0  # dropped by a policy (or with no reason given), or AUDIT (would have been)
    first: Optional[tuple[int, str]] = None
    last: Optional[tuple[int, str]] = None

    def add(self, record: Record) -> None:
        self.observed += 1
        self.verdicts[record.verdict] = self.verdicts.get(record.verdict, 0) + 1
        if record.verdict in PASSED:
            self.passed += 1
        elif record.verdict == "AUDIT" or (
            record.verdict == "DROPPED" and (record.drop_reason in POLICY_DROPS or record.drop_reason is None)
        ):
            self.denied += 1
        if record.time is not None:
            if self.first is None or record.time[0] < self.first[0]:
                self.first = record.time
            if self.last is None or record.time[0] > self.last[0]:
                self.last = record.time

    def merge(self, other: "Tally") -> None:
        self.observed += other.observed
        for verdict, n in other.verdicts.items():
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + n
        self.passed += other.passed
        self.denied += other.denied
        for moment in (other.first, other.last):
            if moment is None:
                continue
            if self.first is None or moment[0] < self.first[0]:
                self.first = moment
            if self.last is None or moment[0] > self.last[0]:
                self.last = moment


Key = tuple[Peer, Peer, str, int]  # source, destination, protocol, port


@dataclass
class Observations:
    tallies: dict[Key, Tally] = field(default_factory=dict)
    records: int = 0  # well-formed records, replies and skipped ones included
    replies: int = 0
    skipped: int = 0  # records without a TCP/UDP/SCTP port (ICMP, node status, ...)
    bad_lines: list[int] = field(default_factory=list)
    bad_total: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def bad(self, number: int, problem: str) -> None:
        self.bad_total += 1
        if len(self.bad_lines) < MAX_BAD_LINES:
            self.bad_lines.append(number)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((number, problem))


def read_flows(path: str) -> Observations:
    seen = Observations()
    peers: dict[Peer, Peer] = {}  # one object per distinct peer
    try:
        handle = _open(path)
    except OSError as error:
        raise NetguardInputError(f"cannot read: {error.strerror or error}", source=path, field="--flows") from None
    with handle:
        for number, raw in _lines(handle, seen):
            if not raw.strip():
                continue
            try:
                record = parse_line(raw.decode("utf-8"))
            except UnicodeDecodeError:
                seen.bad(number, "not UTF-8 text")
                continue
            except BadRecord as problem:
                seen.bad(number, str(problem))
                continue
            seen.records += 1
            if record is None:
                seen.skipped += 1
                continue
            if record.is_reply:
                seen.replies += 1
                continue
            source, destination = _compact(record.source), _compact(record.destination)
            source, destination = peers.setdefault(source, source), peers.setdefault(destination, destination)
            key = (source, destination, record.protocol, record.port)
            tally = seen.tallies.get(key)
            if tally is None:
                tally = seen.tallies[key] = Tally()
            tally.add(record)
    return seen


def _lines(handle: IO[bytes], seen: Observations) -> Iterator[tuple[int, bytes]]:
    """Numbered lines; a file that cannot be read on (a truncated gzip) ends with one bad line saying so."""
    number = 0
    try:
        for number, raw in enumerate(handle, start=1):
            yield number, raw
    except (OSError, EOFError) as error:
        seen.bad(number + 1, f"the file cannot be read on: {error}")


def _open(path: str) -> IO[bytes]:
    """The file, or its decompressed stream when it is gzip-compressed (a rotated exporter file)."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _compact(peer: Peer) -> Peer:
    """A pod is known by its name; its IP only matters when there is no name."""
    if peer.pod_name and peer.ip:
        return Peer(peer.namespace, peer.pod_name, peer.labels, peer.workloads, "")
    return peer
