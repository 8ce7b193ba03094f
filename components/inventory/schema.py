"""The inventory's schema: one pydantic model per section entry, and the validated `Inventory`."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.alias_generators import to_camel

from .cron import schedule_check
from .fields import (
    AiNamespaceName, Cidr, ClusterPolicyApi, DataClass, DnsLabel, Domain, Kind, LabelMap, PortName, PortNumber, Protocol, Replicas,
    Role, TrustTier, WorkloadName, image_reference, selects_something,
)


class StrictModel(BaseModel):
    # Validated by alias only: the inventory's keys are the camelCase ones, and `trust_tier` or
    # `source` (the field behind `from`) are unknown keys like any other.
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False, strict=False
    )


class DnsSettings(StrictModel):
    namespace: DnsLabel = "kube-system"
    pod_labels: Annotated[LabelMap, AfterValidator(selects_something)] = Field(
        default_factory=lambda: {"k8s-app": "kube-dns"})


CNIS = ("cilium", "antrea", "calico", "ovn-kubernetes", "generic")
LOGGED = ("allowed", "denied")


class LoggingSettings(StrictModel):
    """Which connections the CNI logs, and for which AI namespaces (cni.py says how each CNI does it)."""

    connections: tuple[Literal["allowed", "denied"], ...] = Field(default=LOGGED, min_length=1)
    data_classes: tuple[DataClass, ...] = ("confidential", "restricted")  # namespaces of these classes
    all_namespaces: StrictBool = False  # every AI namespace, whatever its data class
    # Cilium has no per-policy switch: Hubble's dynamic flow-log exporter does it, which needs the
    # cluster setting hubble.export.dynamic.enabled=true. Accept that documented fallback here.
    accept_fallback: StrictBool = False


class MeshSettings(StrictModel):
    """The service mesh that encrypts traffic and authorizes it by workload identity."""

    provider: Literal["istio"]  # the providers components/mesh/ implements
    mode: Literal["sidecar", "ambient"] = "sidecar"
    # The monitoring stack's ServiceAccount in monitoringNamespace: scraping is then admitted by its
    # principal. Unset: by the monitoring namespace (the one namespace-based mesh allowance). Without
    # monitoringNamespace nothing is scraped and the account is not used.
    scraper_service_account: Optional[DnsLabel] = None


class PlatformSettings(StrictModel):
    dns: DnsSettings = DnsSettings()
    monitoring_namespace: Optional[DnsLabel] = None  # None: no namespace may scrape metrics ports
    cluster_policy_api: ClusterPolicyApi = "v1alpha2"  # the tier API of the guardrails; none: no guardrails
    cni: Literal["cilium", "antrea", "calico", "ovn-kubernetes", "generic"] = "generic"
    logging: Optional[LoggingSettings] = None  # None: no connection logging asked for
    mesh: Optional[MeshSettings] = None  # None: no mesh; encryption in transit is not enforced


class NamespaceSpec(StrictModel):
    name: AiNamespaceName
    trust_tier: TrustTier
    data_class: DataClass
    labels: LabelMap = Field(default_factory=dict)


class PortSpec(StrictModel):
    name: PortName
    port: PortNumber
    protocol: Protocol = "TCP"


class WorkloadSpec(StrictModel):
    name: WorkloadName
    namespace: DnsLabel
    role: Role
    kind: Kind = "Deployment"
    image: Annotated[str, AfterValidator(image_reference)]
    replicas: Replicas = 1
    schedule: Optional[Annotated[str, AfterValidator(schedule_check)]] = None  # CronJob only
    ports: tuple[PortSpec, ...] = ()
    data_class: Optional[DataClass] = None  # None: the namespace's data class
    automount_service_account_token: StrictBool = False
    metrics_port: Optional[PortName] = None

    def port(self, name: str) -> PortSpec:
        return next(p for p in self.ports if p.name == name)


class FlowSource(StrictModel):
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


class WorkloadRef(StrictModel):
    namespace: DnsLabel
    workload: WorkloadName

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.workload}"


class FlowSpec(StrictModel):
    """Traffic allowed from `source` to `to` on named ports of the destination; one direction only."""

    source: FlowSource = Field(alias="from")
    to: WorkloadRef
    ports: tuple[PortName, ...] = Field(min_length=1)

    @property
    def key(self) -> str:
        return f"{self.source.key}->{self.to.key}"


class EgressPort(StrictModel):
    port: PortNumber
    protocol: Protocol = "TCP"


class CidrEgress(StrictModel):
    cidr: Cidr
    ports: tuple[EgressPort, ...] = Field(min_length=1)
    allow_internet: StrictBool = False  # required for 0.0.0.0/0 and ::/0


class DomainEgress(StrictModel):
    domain: Domain
    ports: tuple[EgressPort, ...] = Field(min_length=1)


class EgressSpec(StrictModel):
    namespace: DnsLabel
    workload: WorkloadName
    cidrs: tuple[CidrEgress, ...] = ()
    domains: tuple[DomainEgress, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.workload}"


class Document(StrictModel):
    """The top level, with list entries left raw so each one is validated (and reported) alone."""

    part_of: DnsLabel = "ai-platform"
    platform: PlatformSettings = PlatformSettings()
    namespaces: list[Any] = Field(default_factory=list)
    workloads: list[Any] = Field(default_factory=list)
    flows: list[Any] = Field(default_factory=list)
    egress: list[Any] = Field(default_factory=list)


class Inventory(StrictModel):
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
