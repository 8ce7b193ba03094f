"""The platform inventory: the `netguard:platform` stack config, parsed and validated in one pass.

Pydantic checks the shape of each entry; `_check_references` checks what one entry says about
another. Both report into one list, so a bad inventory fails once with every problem and its path
(`netguard:platform.workloads[3].ports[0].port: 70000 is not a valid port`), before any resource
exists.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cached_property
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from netguard import labels

CONFIG_KEY = "netguard:platform"

KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")

# Label keys a namespace's extra labels may not set: they carry identity, policy or isolation, and
# letting the inventory overwrite them would silently widen what selects the namespace.
_RESERVED_LABEL_PREFIXES = ("netguard.io/", "pod-security.kubernetes.io/", "kubernetes.io/", "app.kubernetes.io/")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")


class InventoryError(ValueError):
    """A bad inventory: every problem found, each as `netguard:platform.<path>: <what is wrong>`."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"invalid {CONFIG_KEY}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


def _shown(value: Any) -> str:
    """A value for a message: its repr, shortened when huge."""
    text = repr(value)
    if len(text) <= 80:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, (str, list, dict)) else ""
    return f"{text[:60]}...{size}"


# ---------------------------------------------------------------------------------------------
# Field checks. Each raises ValueError with a message a user can act on; pydantic puts the path.


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        raise ValueError(f"{_shown(value)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)")
    return value


def _not_system_namespace(value: str) -> str:
    if value == "default" or value.startswith("kube-"):
        raise ValueError(f"{_shown(value)} is a Kubernetes system namespace; netguard would put it under default-deny "
                         "and Pod Security restricted (choose another name)")
    return value


def _selects_something(value: Mapping[str, str]) -> Mapping[str, str]:
    if not value:
        raise ValueError("must name the DNS pods' labels (an empty selector allows DNS traffic to every pod of the DNS namespace)")
    return value


def _workload_name(value: str) -> str:
    # Workload names become Service and CronJob names: DNS-1035, and CronJob allows 52 characters.
    if len(value) > 52 or not _DNS_1035_LABEL.fullmatch(value):
        raise ValueError(f"{_shown(value)} is not a valid workload name (DNS-1035 label: a lowercase letter, then letters, digits, '-'; at most 52)")
    if value == "default":
        # The workload's own ServiceAccount takes its name: this one exists already and is shared.
        raise ValueError("'default' is the name of every namespace's default ServiceAccount; choose another workload name")
    return value


def _image(value: str) -> str:
    if not value.strip() or any(c.isspace() for c in value):
        raise ValueError(f"{_shown(value)} is not an image reference (e.g. registry.example.com/ai/server:1.0; no whitespace)")
    return value


# CronJob schedules as the API server parses them (robfig/cron's standard parser): five fields, or a
# macro. Time zones belong in spec.timeZone; the API server rejects TZ= in the schedule.
_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_WEEKDAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_CRON_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _WEEKDAYS))


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # not '²' or other Unicode digits


def _cron_value(text: str, low: int, high: int, names: Mapping[str, int]) -> Optional[int]:
    value = names.get(text.lower(), int(text) if _digits(text) else None)
    return value if value is not None and low <= value <= high else None


def _cron_field_ok(field: str, low: int, high: int, names: Mapping[str, int]) -> bool:
    for part in field.split(","):
        span, slash, step = part.partition("/")
        if slash and (not _digits(step) or int(step) == 0):
            return False
        if span in ("*", "?"):
            continue
        first, dash, last = span.partition("-")
        start = _cron_value(first, low, high, names)
        end = _cron_value(last, low, high, names) if dash else start
        if start is None or end is None or start > end:
            return False
    return True


def _schedule(value: str) -> str:
    fields = value.split()
    if value.strip() in _CRON_MACROS:
        return value
    if len(fields) != 5 or not all(_cron_field_ok(f, *spec) for f, spec in zip(fields, _CRON_FIELDS)):
        raise ValueError(f"{_shown(value)} is not a cron schedule (minute hour day-of-month month day-of-week, "
                         "e.g. '0 3 * * *', or @daily; no time zone)")
    return value


def _port_number(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a valid port (1-65535)")
    return value


def _port_name(value: str) -> str:
    if len(value) > 15 or not _PORT_NAME.fullmatch(value) or not re.search(r"[a-z]", value) or "--" in value:
        raise ValueError(f"{_shown(value)} is not a valid port name (IANA service name: at most 15 lowercase letters, digits, "
                         "single '-', with a letter)")
    return value


def _one_of(kind: str, allowed: Iterable[str]):
    allowed = tuple(allowed)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {kind} {_shown(value)} (expected one of: {', '.join(sorted(allowed))})")
        return value

    return check


_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def _cidr(value: str) -> str:
    try:
        if "%" in value:
            raise ValueError("a zone index has no place in a NetworkPolicy")
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{_shown(value)} is not a valid CIDR ({err})") from None
    # CNIs disagree on whether IPv4-mapped addresses match IPv4 traffic; the IPv4 form is unambiguous.
    # (::/0 is the whole family, left to the allowInternet check.)
    if network.version == 6 and network.prefixlen > 0 and network.overlaps(_IPV4_MAPPED):
        raise ValueError(f"{_shown(value)} is an IPv4-mapped IPv6 range or contains one ({_IPV4_MAPPED}); "
                         "write IPv4 destinations in IPv4 form (a.b.c.d/n)")
    return str(network)


def _domain(value: str) -> str:
    if len(value) > 253 or not _DOMAIN.fullmatch(value) or any(len(part) > 63 for part in value.split(".")):
        raise ValueError(f"{_shown(value)} is not a valid domain name (lowercase labels, no trailing dot, not an IP; e.g. models.example.com or *.example.com)")
    return value


def _label_key_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not all(_DNS_LABEL.fullmatch(part) for part in prefix.split("."))):
        return False  # the prefix is a DNS subdomain: lowercase labels separated by dots
    return len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))


def _label_map(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, val in value.items():
        if not _label_key_ok(key):
            raise ValueError(f"{_shown(key)} is not a valid label key ([prefix/]name: a DNS subdomain prefix, a name of at most 63 letters, digits, '-', '_', '.')")
        if len(val) > 63 or not _LABEL_VALUE.fullmatch(val):
            raise ValueError(f"{_shown(val)} is not a valid label value (for key {_shown(key)})")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
AiNamespaceName = Annotated[str, AfterValidator(_dns_label), AfterValidator(_not_system_namespace)]
WorkloadName = Annotated[str, AfterValidator(_workload_name)]
# Numbers and booleans are strict: a quoted "80" or "true" in the stack file is a typo to report, and
# True must never become port 1.
PortNumber = Annotated[int, Strict(), AfterValidator(_port_number)]
Replicas = Annotated[int, Strict(), Field(ge=0, le=1000)]
PortName = Annotated[str, AfterValidator(_port_name)]
Role = Annotated[str, AfterValidator(_one_of("role", labels.ROLES))]
DataClass = Annotated[str, AfterValidator(_one_of("data class", labels.DATA_CLASSES))]
TrustTier = Annotated[str, AfterValidator(_one_of("trust tier", labels.TRUST_TIERS))]
Kind = Annotated[str, AfterValidator(_one_of("kind", KINDS))]
Cidr = Annotated[str, AfterValidator(_cidr)]
Domain = Annotated[str, AfterValidator(_domain)]
LabelMap = Annotated[dict[str, str], AfterValidator(_label_map)]
Protocol = Literal["TCP", "UDP", "SCTP"]


class _Model(BaseModel):
    # Validated by alias only: the inventory's keys are the camelCase ones, and `trust_tier` or
    # `source` (the field behind `from`) are unknown keys like any other.
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=False
    )


# ---------------------------------------------------------------------------------------------
# The schema.


class DnsSettings(_Model):
    namespace: DnsLabel = "kube-system"
    pod_labels: Annotated[LabelMap, AfterValidator(_selects_something)] = Field(
        default_factory=lambda: {"k8s-app": "kube-dns"})


class PlatformSettings(_Model):
    dns: DnsSettings = DnsSettings()
    monitoring_namespace: Optional[DnsLabel] = None  # None: no namespace may scrape metrics ports


class NamespaceSpec(_Model):
    name: AiNamespaceName
    trust_tier: TrustTier
    data_class: DataClass
    labels: LabelMap = Field(default_factory=dict)


class PortSpec(_Model):
    name: PortName
    port: PortNumber
    protocol: Protocol = "TCP"


class WorkloadSpec(_Model):
    name: WorkloadName
    namespace: DnsLabel
    role: Role
    kind: Kind = "Deployment"
    image: Annotated[str, AfterValidator(_image)]
    replicas: Replicas = 1
    schedule: Optional[Annotated[str, AfterValidator(_schedule)]] = None  # CronJob only
    ports: tuple[PortSpec, ...] = ()
    data_class: Optional[DataClass] = None  # None: the namespace's data class
    automount_service_account_token: StrictBool = False
    metrics_port: Optional[PortName] = None

    def port(self, name: str) -> PortSpec:
        return next(p for p in self.ports if p.name == name)


class FlowSource(_Model):
    """A workload, or every workload of a role, in one namespace."""

    namespace: DnsLabel
    workload: Optional[WorkloadName] = None
    role: Optional[Role] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "FlowSource":
        if (self.workload is None) == (self.role is None):
            raise ValueError("give exactly one of 'workload' or 'role'")
        return self

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.workload}" if self.workload else f"{self.namespace}/role={self.role}"


class WorkloadRef(_Model):
    namespace: DnsLabel
    workload: WorkloadName

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.workload}"


class FlowSpec(_Model):
    """Traffic allowed from `source` to `to` on named ports of the destination; one direction only."""

    source: FlowSource = Field(alias="from")
    to: WorkloadRef
    ports: tuple[PortName, ...] = Field(min_length=1)

    @property
    def key(self) -> str:
        return f"{self.source.key}->{self.to.key}"


class EgressPort(_Model):
    port: PortNumber
    protocol: Protocol = "TCP"


class CidrEgress(_Model):
    cidr: Cidr
    ports: tuple[EgressPort, ...] = Field(min_length=1)
    allow_internet: StrictBool = False  # required for 0.0.0.0/0 and ::/0


class DomainEgress(_Model):
    domain: Domain
    ports: tuple[EgressPort, ...] = Field(min_length=1)


class EgressSpec(_Model):
    namespace: DnsLabel
    workload: WorkloadName
    cidrs: tuple[CidrEgress, ...] = ()
    domains: tuple[DomainEgress, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.workload}"


class _Document(_Model):
    """The top level, with list entries left raw so each one is validated (and reported) alone."""

    part_of: DnsLabel = "ai-platform"
    platform: PlatformSettings = PlatformSettings()
    namespaces: list[Any] = Field(default_factory=list)
    workloads: list[Any] = Field(default_factory=list)
    flows: list[Any] = Field(default_factory=list)
    egress: list[Any] = Field(default_factory=list)


class Inventory(_Model):
    """A validated inventory. Build it with `parse_inventory`, never directly."""

    model_config = ConfigDict(populate_by_name=True)  # built by parse_inventory from Python names

    part_of: str
    platform: PlatformSettings
    namespaces: tuple[NamespaceSpec, ...]
    workloads: tuple[WorkloadSpec, ...]
    flows: tuple[FlowSpec, ...]
    egress: tuple[EgressSpec, ...]

    @cached_property
    def _namespaces_by_name(self) -> dict[str, NamespaceSpec]:
        return {n.name: n for n in self.namespaces}

    @cached_property
    def _workloads_by_key(self) -> dict[tuple[str, str], WorkloadSpec]:
        return {(w.namespace, w.name): w for w in self.workloads}

    @cached_property
    def _workloads_by_namespace(self) -> dict[str, tuple[WorkloadSpec, ...]]:
        grouped: dict[str, list[WorkloadSpec]] = {}
        for w in self.workloads:
            grouped.setdefault(w.namespace, []).append(w)
        return {ns: tuple(ws) for ns, ws in grouped.items()}

    @cached_property
    def _flows_by_destination(self) -> dict[tuple[str, str], tuple[FlowSpec, ...]]:
        grouped: dict[tuple[str, str], list[FlowSpec]] = {}
        for f in self.flows:
            grouped.setdefault((f.to.namespace, f.to.workload), []).append(f)
        return {k: tuple(v) for k, v in grouped.items()}

    def flows_to(self, workload: WorkloadSpec) -> tuple[FlowSpec, ...]:
        return self._flows_by_destination.get((workload.namespace, workload.name), ())

    def namespace(self, name: str) -> NamespaceSpec:
        return self._namespaces_by_name[name]

    def workload(self, namespace: str, name: str) -> WorkloadSpec:
        return self._workloads_by_key[(namespace, name)]

    def workloads_in(self, namespace: str) -> tuple[WorkloadSpec, ...]:
        return self._workloads_by_namespace.get(namespace, ())

    def data_class_of(self, workload: WorkloadSpec) -> str:
        return workload.data_class or self.namespace(workload.namespace).data_class

    def sources_of(self, flow: FlowSpec) -> tuple[WorkloadSpec, ...]:
        """The workloads a flow's source stands for: one workload, or every workload of a role."""
        src = flow.source
        return tuple(
            w for w in self.workloads_in(src.namespace)
            if (w.name == src.workload if src.workload else w.role == src.role)
        )

    def declared_connections(self) -> frozenset[tuple[str, str, int, str]]:
        """Every (source, destination, port, protocol) the flows declare, as the engine names them."""
        connections = set()
        for flow in self.flows:
            dst = self.workload(flow.to.namespace, flow.to.workload)
            for src in self.sources_of(flow):
                for name in flow.ports:
                    port = dst.port(name)
                    connections.add((f"{src.namespace}/{src.name}", f"{dst.namespace}/{dst.name}",
                                     port.port, port.protocol))
        return frozenset(connections)


# ---------------------------------------------------------------------------------------------
# Parsing.


def format_path(loc: Iterable[Any]) -> str:
    """('workloads', 3, 'ports', 0, 'port') -> 'workloads[3].ports[0].port'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _problem(loc: Iterable[Any], message: str) -> str:
    path = format_path(loc)
    return f"{CONFIG_KEY}.{path}: {message}" if path else f"{CONFIG_KEY}: {message}"


# Pydantic's wording names Python types ("a valid tuple", "an instance of FlowSpec"); say it in YAML's.
_TYPE_NAMES = {"list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
               "model_attributes_type": "a mapping", "string_type": "a string", "int_type": "a whole number",
               "bool_type": "true or false"}


def _messages(err: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    problems = []
    errors = err.errors(include_url=False)
    for e in errors:
        # AfterValidator frames and tagged-union names add entries that are not part of the path.
        loc = tuple(p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
        if e["type"] == "too_short" and any(other["loc"][:len(e["loc"])] == e["loc"] and other is not e for other in errors):
            continue  # the list is short only because an entry failed, and that entry is reported
        if e["type"] == "extra_forbidden":
            message = "unknown key (not part of the inventory schema)"
        elif e["type"] in _TYPE_NAMES:
            message = f"must be {_TYPE_NAMES[e['type']]} (got {_shown(e['input'])})"
        elif e["type"] == "value_error":
            message = str(e["ctx"]["error"])
        elif e["type"] == "missing":
            message = "is required"
        else:
            message = f"{e['msg']} (got {_shown(e['input'])})"
        problems.append(_problem(prefix + loc, message))
    return problems


M = TypeVar("M", bound=_Model)


def _locations(err: ValidationError) -> set[tuple[Any, ...]]:
    return {tuple(p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
            for e in err.errors(include_url=False)}


def _validate_each(model: type[M], section: str, raw: list[Any], problems: list[str],
                   failed: Optional[dict[int, set[tuple[Any, ...]]]] = None) -> list[tuple[int, M]]:
    """The entries that validate; the others' problems go to `problems`, where they broke to `failed`."""
    valid = []
    for index, item in enumerate(raw):
        try:
            valid.append((index, model.model_validate(item)))
        except ValidationError as err:
            problems.extend(_messages(err, (section, index)))
            if failed is not None:
                failed[index] = _locations(err)
    return valid


def decode_config(text: Optional[str]) -> Any:
    """The `netguard:platform` config value as Pulumi passes it (JSON text), decoded.

    Text that is not JSON (a bare word in the stack file) stays a string, so `parse_inventory`
    reports it like any other wrong shape; an empty value (`netguard:platform: null`) is absent.
    """
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_inventory(raw: Any) -> Inventory:
    """Validate the raw `netguard:platform` value; raise one InventoryError listing every problem."""
    if raw is None:
        raise InventoryError([f"{CONFIG_KEY}: is required (set it in Pulumi.<stack>.yaml)"])
    problems: list[str] = []
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as err:
        problems.extend(_messages(err, ()))
        doc = _salvage(raw)
    if raw.get("namespaces", []) == []:
        # An inventory that declares nothing is a mistake (a misplaced or misspelt section), not a platform.
        problems.append(_problem(("namespaces",), "declare at least one namespace"))
    namespaces = _validate_each(NamespaceSpec, "namespaces", doc.namespaces, problems)
    failed_workloads: dict[int, set[tuple[Any, ...]]] = {}
    workloads = _validate_each(WorkloadSpec, "workloads", doc.workloads, problems, failed_workloads)
    failed_flows: dict[int, set[tuple[Any, ...]]] = {}
    flows = _validate_each(FlowSpec, "flows", doc.flows, problems, failed_flows)
    failed_egress: dict[int, set[tuple[Any, ...]]] = {}
    egress = _validate_each(EgressSpec, "egress", doc.egress, problems, failed_egress)
    # References to entries that failed on their own are not reported again.
    broken = _names_of_broken(raw, doc, namespaces, workloads)
    problems.extend(_check_references(_platform_namespaces(raw), namespaces, workloads, flows, egress, broken))
    # An entry with a bad field still gets the checks of its other fields.
    ns_names = {n.name for _, n in namespaces}
    for index, locs in failed_workloads.items():
        if isinstance(doc.workloads[index], Mapping):
            facts = _WorkloadFacts.salvaged(doc.workloads[index], locs)
            problems.extend(_check_workload_facts(index, facts, ns_names, broken))
    by_key: dict[str, WorkloadSpec] = {}
    for _, w in workloads:
        by_key.setdefault(f"{w.namespace}/{w.name}", w)
    for index in failed_flows:
        if isinstance(doc.flows[index], Mapping):
            problems.extend(_check_broken_flow(index, doc.flows[index], by_key, broken))
    for index in failed_egress:
        if isinstance(doc.egress[index], Mapping):
            problems.extend(_check_broken_egress(index, doc.egress[index], by_key, broken))
    if problems:
        raise InventoryError(problems)
    return Inventory(
        part_of=doc.part_of,
        platform=doc.platform,
        namespaces=tuple(n for _, n in namespaces),
        workloads=tuple(w for _, w in workloads),
        flows=tuple(f for _, f in flows),
        egress=tuple(e for _, e in egress),
    )


def _salvage(raw: Any) -> _Document:
    """The sections that are at least lists, so their entries are still checked and reported."""
    if not isinstance(raw, Mapping):
        got = f"the string {_shown(raw)}" if isinstance(raw, str) else type(raw).__name__
        raise InventoryError([_problem((), f"must be a mapping with namespaces, workloads, flows and egress (got {got})")])
    sections = {key: raw[key] for key in ("namespaces", "workloads", "flows", "egress") if isinstance(raw.get(key), list)}
    return _Document.model_construct(**sections)


@dataclass(frozen=True)
class _Broken:
    """What entries that failed on their own might have declared, so references to them are not
    reported again. "*" stands for a part that is unknown (not a string, or a whole section that is
    not a list)."""

    namespaces: frozenset[str]
    workloads: frozenset[tuple[str, str]]

    def namespace(self, name: str) -> bool:
        return bool({name, "*"} & self.namespaces)

    def workload(self, namespace: str, name: str) -> bool:
        return any((ns, n) in self.workloads for ns in (namespace, "*") for n in (name, "*"))

    def roles_in(self, namespace: str) -> bool:
        # Any broken workload of the namespace may be the one with the role.
        return any(ns in (namespace, "*") for ns, _ in self.workloads)


def _known(value: Any, check) -> str:
    """A broken entry's name when it is a valid one; "*" when the name itself is what broke."""
    try:
        return check(value) if isinstance(value, str) else "*"
    except ValueError:
        return "*"


def _names_of_broken(raw: Mapping[str, Any], doc: _Document, namespaces, workloads) -> _Broken:
    valid_ns = {i for i, _ in namespaces}
    valid_wl = {i for i, _ in workloads}
    broken_ns = {"*"} if not isinstance(raw.get("namespaces", []), list) else set()
    broken_wl = {("*", "*")} if not isinstance(raw.get("workloads", []), list) else set()
    # An entry that is not a mapping (a stray "-") declares nothing, so it stands for nothing.
    for i, n in enumerate(doc.namespaces):
        if i not in valid_ns and isinstance(n, Mapping):
            broken_ns.add(_known(n.get("name"), _dns_label))
    for i, w in enumerate(doc.workloads):
        if i not in valid_wl and isinstance(w, Mapping):
            broken_wl.add((_known(w.get("namespace"), _dns_label), _known(w.get("name"), _workload_name)))
    return _Broken(frozenset(broken_ns), frozenset(broken_wl))


def _platform_namespaces(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The DNS and monitoring namespaces as written, so they are checked even when another platform
    setting is broken (and the validated settings are not at hand)."""
    platform = raw.get("platform")
    platform = platform if isinstance(platform, Mapping) else {}
    dns = platform.get("dns")
    dns = dns if isinstance(dns, Mapping) else {}
    return {("platform", "dns", "namespace"): dns.get("namespace", DnsSettings().namespace),
            ("platform", "monitoringNamespace"): platform.get("monitoringNamespace")}


def _check_references(platform: Mapping[tuple[str, ...], Any], namespaces, workloads, flows, egress, broken: _Broken) -> list[str]:
    problems: list[str] = []
    ns_at: dict[str, int] = {}
    for i, ns in namespaces:
        if ns.name in ns_at:
            problems.append(_problem(("namespaces", i, "name"), f"duplicate namespace {ns.name!r} (first declared at namespaces[{ns_at[ns.name]}])"))
            continue
        ns_at[ns.name] = i
        for key in ns.labels:
            if key.startswith(_RESERVED_LABEL_PREFIXES):
                problems.append(_problem(("namespaces", i, "labels", key), "is reserved for netguard and Kubernetes; use trustTier/dataClass or another key"))
    problems.extend(_check_platform(platform, ns_at))

    wl_at: dict[str, int] = {}
    by_key: dict[str, WorkloadSpec] = {}
    for i, wl in workloads:
        problems.extend(_check_workload(i, wl, ns_at, broken))
        key = f"{wl.namespace}/{wl.name}"
        if key in wl_at:
            problems.append(_problem(("workloads", i, "name"), f"duplicate workload {wl.name!r} in namespace {wl.namespace!r} (first declared at workloads[{wl_at[key]}])"))
            continue
        wl_at[key] = i
        by_key[key] = wl

    flow_at: dict[str, int] = {}
    for i, flow in flows:
        problems.extend(_check_flow(i, flow.source, flow.to, flow.ports, by_key, broken))
        if flow.key in flow_at:
            problems.append(_problem(("flows", i), f"duplicate flow {flow.key} (merge its ports into flows[{flow_at[flow.key]}])"))
        flow_at.setdefault(flow.key, i)

    egress_at: dict[str, int] = {}
    for i, eg in egress:
        problems.extend(_check_egress(i, eg, by_key, broken))
        if eg.key in egress_at:
            problems.append(_problem(("egress", i), f"egress for {eg.key} is already declared at egress[{egress_at[eg.key]}]; merge them"))
        egress_at.setdefault(eg.key, i)
    return problems


def _check_platform(platform: Mapping[tuple[str, ...], Any], ns_at: Mapping[str, int]) -> list[str]:
    """The cluster's DNS and monitoring live outside the AI namespaces: under default-deny the DNS pods
    would answer nobody, and a monitoring namespace that runs AI workloads would let them scrape every
    metrics port."""
    why = {
        ("platform", "dns", "namespace"): "name the namespace the cluster DNS pods run in",
        ("platform", "monitoringNamespace"): "its workloads could scrape every metrics port: name a namespace "
                                             "that runs only the monitoring stack",
    }
    return [
        _problem(path, f"{name!r} is an AI namespace (namespaces[{ns_at[name]}]); {why[path]}")
        for path, name in platform.items() if isinstance(name, str) and name in ns_at
    ]


@dataclass(frozen=True)
class _WorkloadFacts:
    """What the cross-field checks need of a workload. None where a broken field leaves it unknown,
    so a field that failed is never checked again against the others."""

    namespace: Optional[str]
    kind: Optional[str]
    schedule_known: bool
    schedule: Any
    ports: Optional[tuple[tuple[int, Optional[str], Optional[tuple[int, str]]], ...]]  # (index, name, (number, protocol))
    metrics_port: Optional[str]

    @staticmethod
    def of(wl: WorkloadSpec) -> "_WorkloadFacts":
        ports = tuple((j, p.name, (p.port, p.protocol)) for j, p in enumerate(wl.ports))
        return _WorkloadFacts(wl.namespace, wl.kind, True, wl.schedule, ports, wl.metrics_port)

    @staticmethod
    def salvaged(raw: Mapping[str, Any], failed: set[tuple[Any, ...]]) -> "_WorkloadFacts":
        def ok(*path: Any) -> bool:
            return not any(loc[:len(path)] == path or path[:len(loc)] == loc for loc in failed)

        raw_ports = raw.get("ports", [])
        ports = None
        if ("ports",) not in failed and isinstance(raw_ports, list) and all(isinstance(p, Mapping) for p in raw_ports):
            ports = tuple(
                (j, p.get("name") if ok("ports", j, "name") else None,
                 (p.get("port"), p.get("protocol", "TCP")) if ok("ports", j, "port") and ok("ports", j, "protocol") else None)
                for j, p in enumerate(raw_ports)
            )
        return _WorkloadFacts(
            namespace=raw.get("namespace") if ok("namespace") else None,
            kind=raw.get("kind", "Deployment") if ok("kind") else None,
            schedule_known=ok("schedule"),
            schedule=raw.get("schedule"),
            ports=ports,
            metrics_port=raw.get("metricsPort") if ok("metricsPort") else None,
        )


def _check_workload(i: int, wl: WorkloadSpec, ns_at: Mapping[str, int], broken: _Broken) -> list[str]:
    return _check_workload_facts(i, _WorkloadFacts.of(wl), ns_at, broken)


def _check_workload_facts(i: int, wl: _WorkloadFacts, ns_at, broken: _Broken) -> list[str]:
    problems = []
    at = ("workloads", i)
    if wl.namespace is not None and wl.namespace not in ns_at and not broken.namespace(wl.namespace):
        problems.append(_problem(at + ("namespace",), f"namespace {wl.namespace!r} is not declared in namespaces"))
    if wl.kind is not None and wl.schedule_known:
        if wl.kind == "CronJob" and not wl.schedule:
            problems.append(_problem(at + ("schedule",), "a CronJob needs a schedule (e.g. '0 3 * * *')"))
        if wl.kind != "CronJob" and wl.schedule:
            problems.append(_problem(at + ("schedule",), f"only a CronJob has a schedule, not a {wl.kind}"))
    if wl.ports is None:
        return problems
    names: dict[str, int] = {}
    numbers: dict[tuple[int, str], int] = {}
    for j, name, number in wl.ports:
        if name is not None:
            if name in names:
                problems.append(_problem(at + ("ports", j, "name"), f"duplicate port name {name!r} (also ports[{names[name]}])"))
            names.setdefault(name, j)
        if number is not None:
            if number in numbers:
                problems.append(_problem(at + ("ports", j, "port"), f"duplicate port {number[0]}/{number[1]} (also ports[{numbers[number]}])"))
            numbers.setdefault(number, j)
    names_known = all(name is not None for _, name, _ in wl.ports)
    if wl.metrics_port is not None and names_known and wl.metrics_port not in names:
        problems.append(_problem(at + ("metricsPort",), f"{wl.metrics_port!r} is not one of this workload's ports ({_listing(names)})"))
    return problems


def _check_flow(i: int, src: Optional[FlowSource], to: Optional[WorkloadRef], ports: Optional[Sequence[str]],
                by_key: Mapping[str, WorkloadSpec], broken: _Broken) -> list[str]:
    """A flow's references; a part that is None failed on its own and is not checked."""
    problems = []
    at = ("flows", i)
    if src is not None and src.workload and src.key not in by_key and not broken.workload(src.namespace, src.workload):
        problems.append(_problem(at + ("from",), f"workload {src.key} does not exist"))
    if src is not None and src.role and not broken.roles_in(src.namespace) and not any(
            w.namespace == src.namespace and w.role == src.role for w in by_key.values()):
        problems.append(_problem(at + ("from", "role"), f"no workload in namespace {src.namespace!r} has role {src.role!r}"))
    if to is None:
        return problems
    dst = by_key.get(to.key)
    if dst is None:
        if not broken.workload(to.namespace, to.workload):
            problems.append(_problem(at + ("to",), f"workload {to.key} does not exist"))
        return problems
    declared = {p.name for p in dst.ports}
    first: dict[str, int] = {}
    for j, name in enumerate(ports or ()):
        if name in first:
            problems.append(_problem(at + ("ports", j), f"{name!r} is listed twice (also ports[{first[name]}])"))
            continue
        first[name] = j
        if name not in declared:
            problems.append(_problem(at + ("ports", j), f"{name!r} is not a port of {to.key} ({_listing(declared)})"))
    return problems


def _part(model: type[M], value: Any) -> Optional[M]:
    """One part of a broken entry, when it is valid on its own."""
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _check_broken_flow(i: int, raw: Mapping[str, Any], by_key: Mapping[str, WorkloadSpec], broken: _Broken) -> list[str]:
    ports = raw.get("ports")
    names_ok = isinstance(ports, list) and all(isinstance(p, str) and _valid(_port_name, p) for p in ports)
    return _check_flow(i, _part(FlowSource, raw.get("from")), _part(WorkloadRef, raw.get("to")),
                       ports if names_ok else None, by_key, broken)


def _check_broken_egress(i: int, raw: Mapping[str, Any], by_key: Mapping[str, WorkloadSpec], broken: _Broken) -> list[str]:
    ref = _part(WorkloadRef, {"namespace": raw.get("namespace"), "workload": raw.get("workload")})
    if ref is None or ref.key in by_key or broken.workload(ref.namespace, ref.workload):
        return []
    return [_problem(("egress", i), f"workload {ref.key} does not exist")]


def _valid(check, value: Any) -> bool:
    try:
        check(value)
        return True
    except ValueError:
        return False


def _check_egress(i: int, eg: EgressSpec, by_key: Mapping[str, WorkloadSpec], broken: _Broken) -> list[str]:
    problems = []
    if eg.key not in by_key and not broken.workload(eg.namespace, eg.workload):
        problems.append(_problem(("egress", i), f"workload {eg.key} does not exist"))
    if not eg.cidrs and not eg.domains:
        problems.append(_problem(("egress", i), "declares neither cidrs nor domains; remove the entry or list its destinations"))
    for j, entry in enumerate(eg.cidrs):
        if ipaddress.ip_network(entry.cidr).prefixlen == 0 and not entry.allow_internet:
            problems.append(_problem(("egress", i, "cidrs", j, "cidr"), f"{entry.cidr} opens the whole internet; narrow it, or set allowInternet: true on this entry"))
    problems.extend(_internet_in_pieces(i, eg))
    return problems


# Ranges no internet destination lies in (RFC 6890 special-purpose blocks): blocks that cover
# everything else cover the internet.
_NOT_INTERNET = {
    4: tuple(map(ipaddress.ip_network, (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/3"))),
    6: tuple(map(ipaddress.ip_network, (
        "::/127", "::ffff:0:0/96", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"))),
}


def _internet_in_pieces(i: int, eg: EgressSpec) -> list[str]:
    """Narrower blocks that together cover every internet address (two halves, or the public ranges
    spelt out) open the whole internet, and without the private ranges excepted that only 0.0.0.0/0
    and ::/0 get: fail closed, whatever the ports."""
    problems = []
    for version, whole in ((4, "0.0.0.0/0"), (6, "::/0")):
        pieces = [(j, ipaddress.ip_network(e.cidr)) for j, e in enumerate(eg.cidrs)]
        pieces = [(j, n) for j, n in pieces if n.version == version and n.prefixlen > 0]
        covered = ipaddress.collapse_addresses([*(n for _, n in pieces), *_NOT_INTERNET[version]])
        if not pieces or [str(n) for n in covered] != [whole]:
            continue
        listed = ", ".join(f"cidrs[{j}]" for j, _ in pieces)
        problems.append(_problem(("egress", i, "cidrs"), f"{listed} together open the whole IPv{version} internet; declare "
                                 f"{whole} with allowInternet: true instead (it keeps private and link-local ranges out)"))
    return problems


def _listing(names: Iterable[str]) -> str:
    names = sorted(names)
    return "declared: " + ", ".join(names) if names else "it declares no ports"
