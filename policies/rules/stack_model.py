"""The engine's model of a stack, one per cluster, and what had to be left out of it.

A stack rule reasons about effective connectivity, so it needs every Namespace, NetworkPolicy and
pod of a cluster in one engine Cluster. Each Kubernetes provider's objects are their own cluster
(`inputs.cluster_key`). Unknowns are made explicit first (`unknowns.py`): workloads become
witness pods, peers widen to the namespaces and pods they could match. An object that cannot be
modelled (unknown at preview, malformed, a kind the engine does not evaluate, pods the pack cannot
see) is left out and listed, so that each rule says what it could not verify instead of passing.

The engine sees only Pods (`witness_pods.py`); ``origin`` maps every endpoint back to the object
that declares it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Iterable, Mapping, Optional

from netguard.analysis import Analyzer
from netguard.errors import Location, NetguardInputError
from netguard.cilium.peers import CiliumEndpoints
from netguard.loader import build_cluster
from netguard.mesh.parse import is_mesh_manifest
from netguard.model import Cluster, Endpoint
from netguard.tiers.model import KINDS as TIER_KINDS
from netguard.tiers.parse import GROUP as TIER_GROUP, parse_tier_policy

from . import config, kinds, network_policies, pod_templates
from .cidrset import AddressSet
from .objects import KubeObject
from .props import UNKNOWN
from .unknowns import Unknowns, Vocabulary
from .witness_pods import pod_manifest, witness_pods

# A pod that nobody has labelled yet, added to each namespace that holds workloads when a rule
# must speak for every pod of the namespace. Its name is no valid Kubernetes name: no user pod
# can take it.
NEW_POD_NAME = "<any new pod>"

UNKNOWN_AT_PREVIEW, MALFORMED, UNMODELLED = "unknown", "malformed", "unmodelled"


@dataclass(frozen=True)
class LeftOut:
    obj: KubeObject
    reason: str
    unknown: bool  # True: unknown at preview (failOnUnknown: false defers it)
    why: str = UNKNOWN_AT_PREVIEW  # UNKNOWN_AT_PREVIEW, MALFORMED or UNMODELLED


@dataclass(frozen=True)
class Origin:
    obj: Optional[KubeObject]  # None for the pack's own new pod
    field: str                 # the pod template it comes from


@dataclass(frozen=True)
class StackModel:
    cluster: Cluster
    analyzer: Analyzer
    objects: tuple[KubeObject, ...]
    left_out: tuple[LeftOut, ...]
    origins: Optional[Mapping[str, Origin]] = None
    name: str = ""  # the cluster's key; "" for the ambient cluster

    def origin(self, endpoint: Endpoint) -> Optional[Origin]:
        return (self.origins or {}).get(endpoint.id)

    def urn_of(self, endpoint: Endpoint) -> Optional[str]:
        """The URN of the resource that declares an engine endpoint, to attach a violation to it."""
        origin = self.origin(endpoint)
        return origin.obj.urn if origin is not None and origin.obj is not None else None

    def describe(self, endpoint: Endpoint) -> str:
        """How a reviewer names the endpoint's object: `Deployment ns/name`."""
        origin = self.origin(endpoint)
        if origin is None or origin.obj is None:
            return f"any new pod of {endpoint.namespace}"
        return origin.obj.ref

    def is_new_pod(self, endpoint: Endpoint) -> bool:
        origin = self.origin(endpoint)
        return origin is not None and origin.obj is None

    @cached_property
    def _by_ref(self) -> dict:
        return {(obj.kind, obj.identity): obj for obj in reversed(self.objects)}

    def object_of(self, kind: str, object_id: str) -> Optional[KubeObject]:
        return self._by_ref.get((kind, object_id))

    def workload_namespaces(self) -> set[str]:
        """Namespaces that hold a workload, including left-out workloads whose namespace is known."""
        found = {e.namespace for e in self.cluster.endpoints if not e.external and not self.is_new_pod(e)}
        found |= {item.obj.namespace for item in self.left_out
                  if _runs_pods(item.obj) and isinstance(item.obj.namespace, str)}
        return found


def build_all(objects: Iterable[KubeObject], settings: Optional[Mapping[str, Any]] = None, *,
              with_new_pods: bool = False) -> list[StackModel]:
    """One model per cluster, in the order the clusters first appear."""
    settings = dict(settings or {})
    by_cluster: dict[str, list[KubeObject]] = {}
    for obj in objects:
        by_cluster.setdefault(obj.cluster, []).append(obj)
    if not by_cluster:
        by_cluster[""] = []
    return [_build(name, group, settings, with_new_pods) for name, group in by_cluster.items()]


def build(objects: Iterable[KubeObject], *, with_new_pods: bool = False) -> StackModel:
    """The model of a stack of one cluster (every object in one, whatever its provider)."""
    objects = [obj for obj in objects]
    return _build("", objects, {}, with_new_pods)


def pod_networks(settings: Mapping[str, Any]) -> AddressSet:
    """Where pod and Service IPs may lie; raises ValueError for a value that is not a CIDR."""
    pods = settings.get(config.POD_CIDRS, config.CLUSTER_PROPERTIES[config.POD_CIDRS]["default"])
    services = settings.get(config.SERVICE_CIDRS, config.CLUSTER_PROPERTIES[config.SERVICE_CIDRS]["default"])
    return AddressSet.of([*pods, *services])


def _runs_pods(obj: KubeObject) -> bool:
    return pod_templates.runs_pods(obj) or kinds.may_run_unseen_pods(obj, False)


def _build(name: str, objects: list[KubeObject], settings: dict, with_new_pods: bool) -> StackModel:
    reviewed = settings.get(config.REVIEWED_KINDS) or []
    left_out: list[LeftOut] = []
    namespaces, policies, workloads, mesh_policies, cilium = [], [], [], [], []
    # A ServiceAccount decides verdicts only where an AuthorizationPolicy can name principals.
    accounts_decide = any(o.kind == "AuthorizationPolicy" and is_mesh_policy(o) for o in objects)
    policy_ids: set[tuple[str, str]] = set()
    tier_objects: list[KubeObject] = []  # ClusterNetworkPolicy, AdminNetworkPolicy, ...: cluster-scoped
    tier_ids: set[tuple] = set()
    namespace_names: set = set()
    for obj in objects:
        if kinds.is_inert_policy(obj):
            continue  # a kind no API server serves: it cannot exist, so it neither isolates nor allows
        problem = _left_out(obj, accounts_decide)
        if problem is not None:
            if not (problem.why == UNMODELLED and kinds.is_reviewed(obj, reviewed)):
                left_out.append(problem)  # config may relax only what the pack does not model
        elif obj.kind == "Namespace" and obj.group == "":
            if obj.name in namespace_names:
                left_out.append(LeftOut(obj, f"{obj.ref}: duplicate Namespace {obj.name} (two resources declare "
                                        "it in one cluster)", unknown=False, why=MALFORMED))
                continue
            namespaces.append(obj)
            namespace_names.add(obj.name)
        elif is_tier_policy(obj):
            if (obj.kind, obj.name) in tier_ids:
                left_out.append(LeftOut(obj, f"{obj.ref}: duplicate {obj.kind} {obj.name} (two resources declare "
                                        "it; one would overwrite the other)", unknown=False, why=MALFORMED))
                continue
            tier_objects.append(obj)
            tier_ids.add((obj.kind, obj.name))
        elif kinds.is_modelled_policy(obj):
            if (obj.kind, obj.identity) in policy_ids:
                left_out.append(LeftOut(obj, f"{obj.ref}: duplicate {obj.kind} {obj.identity} (two resources "
                                        "declare it; one would overwrite the other)", unknown=False, why=MALFORMED))
                continue
            (cilium if kinds.is_cilium_policy(obj) else policies).append(obj)
            policy_ids.add((obj.kind, obj.identity))
        elif is_mesh_policy(obj):
            mesh_policies.append(obj)
        elif pod_templates.runs_pods(obj):
            workloads.append(obj)
    parsed = [network_policies.parse(obj) for obj in policies]
    cilium_manifests = [(obj.urn, obj.manifest()) for obj in cilium]
    vocabulary = Vocabulary.of([
        *(s for p in parsed for s in (p.pod_selector, *(peer.pod_selector for rule in (*p.ingress, *p.egress)
                                                        for peer in rule.peers or () if peer.pod_selector))),
        *_tier_pod_selectors(tier_objects),
        *cilium_selectors(build_cluster(cilium_manifests).cilium_policies),
    ])
    manifests: list[tuple[str, dict]] = [(obj.urn, obj.manifest()) for obj in namespaces + mesh_policies]
    manifests += cilium_manifests
    manifests += [(obj.urn, obj.manifest()) for obj in tier_objects]
    origins: dict[str, Origin] = {}
    named_ports_unknown = []
    taken: set[str] = set()
    for obj in workloads:
        pods, problem = witness_pods(obj, vocabulary, taken)
        if problem is not None:
            left_out.append(LeftOut(obj, problem, unknown=False, why=UNMODELLED))
            continue
        for field, endpoint_id, manifest in pods:
            origins[endpoint_id] = Origin(obj, field)
            manifests.append((obj.urn, manifest))
        if any(shape.ports_unknown for shape in pod_templates.shapes(obj)):
            named_ports_unknown.append(obj)
    if with_new_pods:
        spots = {obj.namespace for obj in workloads} | {item.obj.namespace for item in left_out
                                                         if _runs_pods(item.obj) and isinstance(item.obj.namespace, str)}
        for namespace in sorted(spots):
            pod_name, n = NEW_POD_NAME, 1
            while (namespace, pod_name) in taken:  # a user's object may have any name at preview
                n += 1
                pod_name = f"{NEW_POD_NAME} {n}"
            manifests.append((f"new pods of {namespace}", pod_manifest(namespace, pod_name, {}, None)))
            origins[f"{namespace}/{pod_name}"] = Origin(None, "")
    declared = {obj.name for obj in namespaces}
    mentioned = {namespace for _, m in manifests if (namespace := m["metadata"].get("namespace"))}
    mentioned |= {obj.namespace for obj in policies} | {obj.namespace for obj in cilium if obj.namespace}
    unknowns = Unknowns(frozenset(mentioned - declared) | _unknown_namespaces(left_out), pod_networks(settings))
    cluster = build_cluster(manifests)
    cluster = replace(cluster, policies=tuple(sorted((unknowns.widen(p) for p in parsed), key=lambda p: p.id)))
    if any(p.ports and any(getattr(m, "name", None) for m in p.ports)
           for policy in parsed for p in (*policy.ingress, *policy.egress)):
        for obj in named_ports_unknown:
            left_out.append(LeftOut(obj, "its serving runtime's containers (and their named ports) are not in "
                                    "the stack", unknown=False, why=UNMODELLED))
    return StackModel(cluster, Analyzer(cluster), tuple(objects), tuple(left_out), origins, name)


def cilium_selectors(specs) -> list:
    """The pod selectors of Cilium specs (targets and endpoint peers), so witnesses tell them apart."""
    out = []
    for spec in specs:
        out.append(spec.target.selector)
        for rules in (*spec.allow.values(), *spec.deny.values()):
            out += [p.selector for rule in rules for p in rule.peers if isinstance(p, CiliumEndpoints)]
    return out


def is_tier_policy(obj: KubeObject) -> bool:
    """A cluster tier policy of the sig-network API (ClusterNetworkPolicy, AdminNetworkPolicy, ...)."""
    return obj.group == TIER_GROUP and obj.kind in TIER_KINDS and kinds.is_modelled_policy(obj)


def _tier_pod_selectors(objects: list[KubeObject]):
    """The pod selectors of tier policies' subjects and peers: witness pods must tell them apart."""
    for obj in objects:
        policy = parse_tier_policy(obj.kind, str(obj.name), obj.get("spec"), Location(obj=obj.ref))
        if policy.subject.pods is not None:
            yield policy.subject.pods
        for rule in (*policy.ingress, *policy.egress):
            yield from (peer.pods for peer in rule.peers if peer.pods is not None)


def _unknown_namespaces(left_out: list[LeftOut]) -> frozenset[str]:
    """Namespaces whose manifest was left out: their labels are as unknown as undeclared ones'."""
    return frozenset(item.obj.name for item in left_out
                     if item.obj.kind == "Namespace" and isinstance(item.obj.name, str))


def is_mesh_policy(obj: KubeObject) -> bool:
    """An Istio PeerAuthentication or AuthorizationPolicy, which the engine's mesh point reads."""
    return is_mesh_manifest(obj.kind, obj.api_version)


def _left_out(obj: KubeObject, accounts_decide: bool = False) -> Optional[LeftOut]:
    if is_mesh_policy(obj):
        unknown = obj.props.unknown_affecting("metadata.name", "metadata.namespace", "metadata.annotations", "spec")
        if unknown or obj.name is UNKNOWN or obj.namespace is UNKNOWN:
            return LeftOut(obj, ", ".join(unknown or ("metadata",)), unknown=True)
        complaint = _complaint(obj)
        return LeftOut(obj, complaint, unknown=False, why=MALFORMED) if complaint else None
    if kinds.allows_traffic_unmodelled(obj):
        return LeftOut(obj, f"{obj.api_version} {obj.kind} may allow traffic the pack does not model",
                       unknown=False, why=UNMODELLED)
    workload = pod_templates.runs_pods(obj)
    if not workload and not (obj.kind == "Namespace" and obj.group == "") and not kinds.is_modelled_policy(obj):
        if kinds.may_run_unseen_pods(obj, False):
            what = ("a Helm Release installs manifests the pack never sees" if kinds.kind_name(obj) == kinds.HELM_RELEASE
                    else f"{obj.api_version} {obj.kind} is a custom resource that may run pods the pack does not see")
            return LeftOut(obj, what, unknown=False, why=UNMODELLED)
        return None
    if obj.patch:
        # A patch changes an object the stack may not declare in full: its effect is unknowable here,
        # and stays so at `pulumi up`, so failOnUnknown: false (which defers to `up`) must not skip it.
        return LeftOut(obj, "a patch of an object the stack does not declare in full", unknown=False, why=UNMODELLED)
    unknown = obj.props.unknown_affecting(*_decisive_fields(obj, accounts_decide))
    if unknown or obj.name is UNKNOWN or obj.namespace is UNKNOWN:
        return LeftOut(obj, ", ".join(unknown or ("metadata",)), unknown=True)
    if workload:
        for shape in pod_templates.shapes(obj):
            if shape.unseen:
                return LeftOut(obj, shape.unseen, unknown=False, why=UNMODELLED)
    complaint = _complaint(obj)
    if complaint:
        return LeftOut(obj, complaint, unknown=False, why=MALFORMED)
    return None


def _decisive_fields(obj: KubeObject, accounts_decide: bool = False) -> tuple[str, ...]:
    if obj.kind == "Namespace":
        return ("metadata.name", "metadata.labels")
    if is_tier_policy(obj):
        return ("metadata.name", "spec")
    if pod_templates.runs_pods(obj):
        fields = ["metadata.name", "metadata.namespace", "status.podIP"]
        for shape in pod_templates.shapes(obj):
            prefix = f"{shape.field}." if shape.field else ""
            fields += [f"{prefix}metadata.labels", f"{prefix}spec.containers[*].ports",
                       f"{prefix}spec.initContainers[*].ports", f"{prefix}spec.initContainers[*].restartPolicy"]
            if accounts_decide:  # the pod's mesh identity
                fields += [f"{prefix}spec.serviceAccountName", f"{prefix}spec.serviceAccount"]
        if obj.group not in ("", "apps", "batch"):
            fields.append("spec")  # an operator's own fields decide which pods it runs
        elif obj.kind in ("Job", "CronJob"):
            fields += ["spec.completionMode", "spec.jobTemplate.spec.completionMode"]
        return tuple(fields)
    return ("metadata.name", "metadata.namespace", "spec")


def _complaint(obj: KubeObject) -> Optional[str]:
    """The engine's complaint about an object, naming its field; None when it is well formed."""
    if not pod_templates.runs_pods(obj):
        try:
            if kinds.is_modelled_policy(obj) and not is_tier_policy(obj) and not kinds.is_cilium_policy(obj):
                network_policies.parse(obj)
            else:
                build_cluster([(obj.urn, obj.manifest())])  # the engine reads the built-in kinds itself
        except NetguardInputError as error:
            return str(error)
        return None
    # A workload is read as the engine reads its witness pods: labels, serving ports and the
    # ServiceAccount when it is known (the mesh identity; an unknown one decides only where
    # principals are named, and is then a decisive field).
    for shape in pod_templates.shapes(obj):
        try:
            build_cluster([(obj.urn, pod_manifest(str(obj.namespace), str(obj.name), shape.labels, shape.spec))])
        except NetguardInputError as error:
            where = f"{shape.field}." if shape.field else ""
            return f"{obj.ref}: {where}{error.field}: {error.problem}"
    return None
