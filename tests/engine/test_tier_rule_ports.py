"""A tier rule's numbered ports, merged once: bisection answers as a scan of every entry would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netguard.peers import RuleRef
from netguard.ports import NamedPort, PortRange
from netguard.tiers.bitsets import _RulePorts
from netguard.tiers.compile import CompiledTierRule

PROTOCOLS = st.sampled_from(("TCP", "UDP", "SCTP"))
RANGES = st.tuples(PROTOCOLS, st.integers(1, 200), st.integers(0, 20)).map(lambda t: PortRange(t[0], t[1], t[1] + t[2]))
ENTRIES = st.lists(st.one_of(RANGES, st.builds(NamedPort, PROTOCOLS, st.sampled_from(("web", "metrics")))), max_size=12)


def rule(ports) -> CompiledTierRule:
    return CompiledTierRule(RuleRef("p", "Ingress", 1), "", "Deny", (), tuple(ports))


@given(ENTRIES, PROTOCOLS, st.integers(1, 230))
def test_a_probe_is_admitted_exactly_when_one_numbered_entry_covers_it(entries, protocol, port):
    scanned = any(isinstance(m, PortRange) and m.protocol == protocol and m.first <= port <= m.last for m in entries)
    assert _RulePorts(rule(entries).ports).admits_number(port, protocol) == scanned


def test_names_are_kept_per_protocol_once_each():
    ports = _RulePorts(rule([NamedPort("TCP", "web"), NamedPort("UDP", "dns"), NamedPort("TCP", "web")]).ports)
    assert ports.names == {"TCP": ("web",), "UDP": ("dns",)} and not ports.admits_number(53, "UDP")
    assert ports.may_admit(53, "UDP") and not ports.may_admit(53, "SCTP")  # a name may resolve to any number
    assert _RulePorts(None).may_admit(7, "SCTP")
