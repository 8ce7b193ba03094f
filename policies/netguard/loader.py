"""Loading manifests into a ``Cluster``: files and folders, YAML documents, object kinds.

- ``load_paths(paths, externals)`` reads YAML and JSON files and folders (recursively,
  ``*.yaml``, ``*.yml``, ``*.json``; multi-document; parsed by ``documents.py``; ``kind: List``
  items expanded; empty documents, documents without ``kind`` (kustomization.yaml, Helm values)
  and unknown kinds ignored; each real file read once).
- ``build_cluster(objects, externals)`` takes already-parsed manifests, e.g. the Pulumi policy
  pack's resource properties, as ``(source label, manifest mapping)`` pairs.

Endpoints: each Pod, and each Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob
(its ``spec.jobTemplate.spec.template``) as one endpoint ``<namespace>/<name>`` with the pod
template's labels and the ports of its ``containers`` (initContainers do not serve traffic and
are not read). A Pod's IP is ``status.podIP`` (``status.podIPs`` is not read). Namespaces: a
Namespace manifest gives labels; ``kubernetes.io/metadata.name`` is always set to the name, as
the API server does. NetworkPolicies are read when their apiVersion is ``networking.k8s.io/v1``
(or ``extensions/v1beta1``, the same resource's older group, or absent); other API groups'
NetworkPolicy kinds (Calico, ...) are other products and ignored. Tier policies
(ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy / BaselineAdminNetworkPolicy v1alpha1 of
policy.networking.k8s.io) are read by tiers/parse.py. Istio's PeerAuthentication and
AuthorizationPolicy (``security.istio.io/v1`` or ``v1beta1``) go to ``Cluster.mesh`` (mesh/parse.py);
each endpoint keeps its pod's ``serviceAccountName`` (``default`` when unset), its mesh identity.
Duplicate ids (two endpoints, namespaces or policies with the same name) are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import os
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Sequence

from .cidr import parse_ip
from .documents import read_documents
from .errors import Location, NetguardInputError, kind_of
from .domains import canonical_name, is_dns_name
from .cilium.model import CILIUM_API, CILIUM_CLUSTERWIDE_NETWORK_POLICY, KINDS as CILIUM_KINDS, CiliumPolicy
from .cilium.parse import parse_cilium_policy
from .labels import NAMESPACE_NAME
from .model import EXTERNAL_NAMESPACE, Cluster, Endpoint, NetworkPolicy, frozen_labels
from .netpol import parse_network_policy
from .owners import Owned, controller_of, fold
from .tiers.model import BASELINE, BASELINE_ADMIN_NETWORK_POLICY, KINDS as TIER_KINDS, TierPolicy
from .tiers.parse import DIALECTS, GROUP as TIER_GROUP, parse_tier_policy
from .mesh.model import AuthorizationPolicy, MeshPolicies, PeerAuthentication
from .mesh.parse import is_mesh_manifest, parse_authorization_policy, parse_peer_authentication
from .ports import ContainerPort, parse_container_port
from .selectors import parse_string_map

WORKLOAD_TEMPLATES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
})
NETWORK_POLICY_API = "networking.k8s.io/v1"
# With the same Kubernetes resource under its older group (served until 1.16, converted to v1).
# Other groups' NetworkPolicy kinds (Calico, ...) are other products.
NETWORK_POLICY_APIS = frozenset({NETWORK_POLICY_API, "extensions/v1beta1"})
DEFAULT_NAMESPACE = "default"
DEFAULT_SERVICE_ACCOUNT = "default"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")  # in folders; a file named on its own is read whatever its name

def load_paths(paths: Iterable[str], externals: Sequence[str] = (), pod_level: bool = False) -> Cluster:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]  # one path given bare: not a sequence of one-character paths
    return build_cluster(read_manifests(paths), externals, pod_level)


def read_manifests(paths: Iterable[str]) -> Iterator[tuple[str, Mapping]]:
    """Every manifest object in the files and folders, with its file name as source label.

    A file met twice (named twice, or reached again through a symlink) is read once: it defines
    its objects once, whatever the paths that lead to it.
    """
    seen: set[str] = set()
    for path in paths:
        for file in _yaml_files(os.fspath(path)):
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                yield from _documents(file)


def _yaml_files(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise NetguardInputError("no such file or folder", source=path)
    found = []
    visited = {os.path.realpath(path)}
    for root, dirs, files in os.walk(path, onerror=_unreadable_folder, followlinks=True):
        # Symlinked folders are followed, each real folder once (a link cycle ends there).
        kept = []
        for d in sorted(dirs):
            real = os.path.realpath(os.path.join(root, d))
            if real not in visited:
                visited.add(real)
                kept.append(d)
        dirs[:] = kept
        found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(MANIFEST_SUFFIXES))
    return found


def _unreadable_folder(error: OSError) -> None:
    # A folder we cannot list may hold policies; skipping it could widen access.
    raise NetguardInputError(f"cannot read: {error.strerror or error}", source=error.filename or "")


def _documents(file: str) -> Iterator[tuple[str, Mapping]]:
    for i, doc in enumerate(read_documents(file)):
        yield from _expand(doc, Location(file, f"document {i + 1}"))


def _expand(doc: Any, at: Location) -> Iterator[tuple[str, Mapping]]:
    if doc is None:
        return
    if not isinstance(doc, Mapping):
        raise at.error(f"expected a Kubernetes object mapping, got {kind_of(doc)}")
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise at.key("items").error(f"expected a list, got {kind_of(items)}")
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("kind") is None and kind != "List":
                # A typed list (PodList, ...) as the API server serves it: items carry no kind.
                item = {**item, "kind": kind[: -len("List")], "apiVersion": doc.get("apiVersion")}
            yield from _expand(item, at.key("items").index(i))
        return
    yield at.source, doc


def build_cluster(
    objects: Iterable[tuple[str, Mapping]], externals: Sequence[str] = (), pod_level: bool = False
) -> Cluster:
    """The cluster; owned Pods, ReplicaSets and Jobs folded into their owners (owners.py) unless pod_level."""
    endpoints: dict[str, Endpoint] = {}
    owned: dict[str, Owned] = {}
    namespace_labels: dict[str, dict[str, str]] = {}
    namespace_sources: dict[str, str] = {}
    policies: dict[str, NetworkPolicy] = {}
    tier_policies: dict[str, TierPolicy] = {}
    mesh: dict[str, dict] = {"PeerAuthentication": {}, "AuthorizationPolicy": {}}
    cilium: dict[str, CiliumPolicy] = {}
    for source, manifest in objects:
        at = Location(source)
        if not isinstance(manifest, Mapping):
            raise at.error(f"expected a Kubernetes object mapping, got {kind_of(manifest)}")
        kind = manifest.get("kind")
        if kind is None:
            continue  # not a Kubernetes object: kustomization.yaml, Helm values, CI files, ...
        if not isinstance(kind, str):
            raise at.key("kind").error(f"expected the object's kind as a string, got {kind_of(kind)}")
        if kind == "Namespace":
            name, labels = _namespace(manifest, at)
            _put(namespace_sources, name, at.source, at.of(f"Namespace {name}"), "Namespace")
            namespace_labels[name] = labels
        elif kind == "NetworkPolicy" and _kubernetes_api(manifest.get("apiVersion")):
            namespace, name, where = _identity(manifest, kind, at)
            policy = parse_network_policy(namespace, name, manifest.get("spec"), where)
            labels = parse_string_map(manifest["metadata"].get("labels"), where.key("metadata.labels"))
            policy = dataclasses.replace(policy, labels=frozen_labels(labels))
            _put(policies, policy.id, policy, where, "NetworkPolicy")
        elif kind in TIER_KINDS and _tier_api(manifest.get("apiVersion"), kind, at):
            tier_policy = _tier_policy(manifest, kind, at)
            _put(tier_policies, tier_policy.id, tier_policy, at.of(f"{kind} {tier_policy.name}"), kind)
        elif is_mesh_manifest(kind, manifest.get("apiVersion")):
            mesh_policy = _mesh_policy(manifest, kind, at)
            _put(mesh[kind], mesh_policy.id, mesh_policy, at.of(f"{kind} {mesh_policy.id}"), kind)
        elif kind in CILIUM_KINDS and manifest.get("apiVersion") == CILIUM_API:
            for spec in _cilium_policy(manifest, kind, at):
                _put(cilium, spec.id, spec, at.of(spec.label), kind)
        elif kind == "Pod" or kind in WORKLOAD_TEMPLATES:
            endpoint = _endpoint(manifest, kind, at)
            _put(endpoints, endpoint.id, endpoint, at.of(f"{kind} {endpoint.id}"), "endpoint")
            if not pod_level:
                controller = controller_of(manifest, endpoint.namespace)
                owned[endpoint.id] = Owned(controller, _template_labels(manifest, kind))
    stands_for: dict[str, tuple[str, ...]] = {}
    if any(o.controller is not None for o in owned.values()):
        layers = [*policies.values(), *tier_policies.values(), *(p for by_id in mesh.values() for p in by_id.values()),
                  *(spec.matchers() for spec in cilium.values())]
        kept, stands_for = fold(endpoints.values(), owned, layers)
        endpoints = {e.id: e for e in kept}
    for address in externals:
        endpoint = external_endpoint(address)
        clash = endpoints.get(endpoint.id)
        if clash is not None and not clash.external:
            raise Location(field="--external").error(
                f"{endpoint.id} is also the id of {clash.kind} {clash.id} (from {clash.source})"
            )
        endpoints[endpoint.id] = endpoint
    namespaces = {
        e.namespace: {} for e in endpoints.values() if not e.external
    } | {p.namespace: {} for p in policies.values()} | {
        p.namespace: {} for p in cilium.values() if p.namespace is not None
    } | namespace_labels
    return Cluster(
        endpoints=tuple(sorted(endpoints.values(), key=lambda e: e.id)),
        namespaces=frozen_labels({n: frozen_labels({**l, NAMESPACE_NAME: n}) for n, l in sorted(namespaces.items())}),
        policies=tuple(sorted(policies.values(), key=lambda p: p.id)),
        tier_policies=_one_baseline_api(sorted(tier_policies.values(), key=lambda p: p.id)),
        mesh=MeshPolicies(
            tuple(sorted(mesh["PeerAuthentication"].values(), key=lambda p: p.id)),
            tuple(sorted(mesh["AuthorizationPolicy"].values(), key=lambda p: p.id)),
        ),
        cilium_policies=tuple(cilium[k] for k in sorted(cilium)),
        stands_for=MappingProxyType(stands_for),
    )


def _cilium_policy(manifest: Mapping, kind: str, at: Location) -> tuple[CiliumPolicy, ...]:
    if kind == CILIUM_CLUSTERWIDE_NETWORK_POLICY:
        metadata = manifest.get("metadata")
        if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
            raise at.of(kind).key("metadata.name").error("missing or not a string")
        name = metadata["name"]
        return parse_cilium_policy(kind, None, name, manifest, at.of(f"{kind} {name}"))
    namespace, name, where = _identity(manifest, kind, at)
    return parse_cilium_policy(kind, namespace, name, manifest, where)


def _mesh_policy(manifest: Mapping, kind: str, at: Location) -> PeerAuthentication | AuthorizationPolicy:
    namespace, name, where = _identity(manifest, kind, at)
    if kind == "PeerAuthentication":
        return parse_peer_authentication(namespace, name, manifest.get("spec"), where)
    return parse_authorization_policy(namespace, name, manifest["metadata"], manifest.get("spec"), where)


def _kubernetes_api(api_version: Any) -> bool:
    """A NetworkPolicy of Kubernetes itself: one of its API groups, or apiVersion left out."""
    return api_version is None or (isinstance(api_version, str) and api_version in NETWORK_POLICY_APIS)


def _tier_api(api_version: Any, kind: str, at: Location) -> bool:
    """A tier policy of the sig-network API: its one served version; other groups' kinds are ignored."""
    if not isinstance(api_version, str) or not api_version.startswith(f"{TIER_GROUP}/"):
        return False  # e.g. Antrea's crd.antrea.io ClusterNetworkPolicy: another product
    expected = DIALECTS[kind].api_version
    if api_version != expected:
        raise at.of(kind).key("apiVersion").error(f"{api_version} is not a version the engine reads (expected {expected})")
    return True


def _tier_policy(manifest: Mapping, kind: str, at: Location) -> TierPolicy:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise at.of(kind).key("metadata.name").error("missing or not a string")
    name = metadata["name"]
    return parse_tier_policy(kind, name, manifest.get("spec"), at.of(f"{kind} {name}"))


def _one_baseline_api(policies: list[TierPolicy]) -> tuple[TierPolicy, ...]:
    """The API orders no v1alpha1 BaselineAdminNetworkPolicy against v1alpha2 Baseline policies."""
    old = [p for p in policies if p.kind == BASELINE_ADMIN_NETWORK_POLICY]
    new = [p for p in policies if p.tier == BASELINE and p.kind != BASELINE_ADMIN_NETWORK_POLICY]
    if old and new:
        raise Location(old[0].source, f"{old[0].kind} {old[0].name}").error(
            f"a BaselineAdminNetworkPolicy and the Baseline-tier {new[0].label} cannot be ordered: "
            "the API defines no order between v1alpha1 and v1alpha2 baselines (keep one)"
        )
    return tuple(policies)


def external_endpoint(address: str) -> Endpoint:
    """The endpoint ``external/<IP>`` or ``external/<name>`` (addresses unknown) outside the cluster."""
    at = Location(field="--external")
    if isinstance(address, str) and is_dns_name(address) and not _looks_like_ip(address):
        name = canonical_name(address)
        return Endpoint(
            id=f"{EXTERNAL_NAMESPACE}/{name}", namespace=EXTERNAL_NAMESPACE, name=name, kind="External",
            external=True,
        )
    if isinstance(address, str) and not _looks_like_ip(address):
        raise at.error(f"{address!r} is neither an IPv4 or IPv6 address nor a DNS name")
    ip = parse_ip(address, at)
    return Endpoint(
        id=f"{EXTERNAL_NAMESPACE}/{ip}", namespace=EXTERNAL_NAMESPACE, name=str(ip), kind="External",
        ip=str(ip), external=True,
    )


def _looks_like_ip(raw: str) -> bool:
    """Written like an address (or CIDR): digits, dots, colons, hex digits, '/' or '%' only."""
    text = raw.strip()
    return ":" in text or all(c in "0123456789./%" for c in text)


def _put(table: dict, key: str, value: Any, at: Location, what: str) -> None:
    if key in table:
        other = table[key] if isinstance(table[key], str) else getattr(table[key], "source", "")
        other = other or "another manifest"
        raise at.error(f"duplicate {what} {key} (also defined in {other})")
    table[key] = value


def _identity(manifest: Mapping, kind: str, at: Location) -> tuple[str, str, Location]:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, Mapping):
        raise at.of(kind).key("metadata").error(f"expected a mapping, got {kind_of(metadata)}")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise at.of(kind).key("metadata.name").error("missing or not a string")
    namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
    if not isinstance(namespace, str):
        raise at.of(f"{kind} {name}").key("metadata.namespace").error("not a string")
    return namespace, name, at.of(f"{kind} {namespace}/{name}")


def _namespace(manifest: Mapping, at: Location) -> tuple[str, dict[str, str]]:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str):
        raise at.of("Namespace").key("metadata.name").error("missing or not a string")
    name = metadata["name"]
    where = at.of(f"Namespace {name}").key("metadata.labels")
    return name, parse_string_map(metadata.get("labels"), where)


def _endpoint(manifest: Mapping, kind: str, at: Location) -> Endpoint:
    namespace, name, where = _identity(manifest, kind, at)
    if kind == "Pod":
        template, template_at = manifest, where
    else:
        template, template_at = _dig(manifest, WORKLOAD_TEMPLATES[kind], where)
    metadata = template.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise template_at.key("metadata").error(f"expected a mapping, got {kind_of(metadata)}")
    labels = parse_string_map(metadata.get("labels"), template_at.key("metadata.labels"))
    ports = _container_ports(template.get("spec"), template_at.key("spec"))
    account = _service_account(template.get("spec"), template_at.key("spec"))
    ip = None
    status = manifest.get("status") if kind == "Pod" else None
    if isinstance(status, Mapping) and status.get("podIP"):
        ip = str(parse_ip(status["podIP"], where.key("status.podIP")))
    return Endpoint(
        id=f"{namespace}/{name}", namespace=namespace, name=name, kind=kind,
        labels=frozen_labels(labels), ports=ports, ip=ip, source=at.source, service_account=account,
    )


def _template_labels(manifest: Mapping, kind: str) -> dict[str, str]:
    """The labels the object's pod template writes (already checked by _endpoint)."""
    template: Any = manifest
    for key in () if kind == "Pod" else WORKLOAD_TEMPLATES[kind]:
        template = template[key]
    return dict((template.get("metadata") or {}).get("labels") or {})


def _service_account(spec: Any, at: Location) -> str:
    """``serviceAccountName`` (or its deprecated alias ``serviceAccount``); ``default`` when unset, as the API server sets it."""
    if not isinstance(spec, Mapping):
        return DEFAULT_SERVICE_ACCOUNT
    for key in ("serviceAccountName", "serviceAccount"):
        value = spec.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise at.key(key).error(f"expected a ServiceAccount name, got {kind_of(value)}")
        return value
    return DEFAULT_SERVICE_ACCOUNT


def _dig(manifest: Mapping, keys: tuple[str, ...], at: Location) -> tuple[Mapping, Location]:
    value: Any = manifest
    for key in keys:
        at = at.key(key)
        value = value.get(key) if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping):
            raise at.error(f"expected a mapping, got {kind_of(value)}")
    return value, at


def _container_ports(spec: Any, at: Location) -> tuple[ContainerPort, ...]:
    if spec is None:
        return ()
    if not isinstance(spec, Mapping):
        raise at.error(f"expected a mapping, got {kind_of(spec)}")
    containers = spec.get("containers") or []
    if not isinstance(containers, list):
        raise at.key("containers").error(f"expected a list, got {kind_of(containers)}")
    ports: list[ContainerPort] = []
    for i, container in enumerate(containers):
        c_at = at.key("containers").index(i)
        if not isinstance(container, Mapping):
            raise c_at.error(f"expected a container mapping, got {kind_of(container)}")
        raw_ports = container.get("ports") or []
        if not isinstance(raw_ports, list):
            raise c_at.key("ports").error(f"expected a list, got {kind_of(raw_ports)}")
        ports.extend(_container_port(p, c_at, j) for j, p in enumerate(raw_ports))
    return tuple(sorted(set(ports), key=lambda p: (p.protocol, p.port, p.name or "")))


_PORT_FIELDS = ("containerPort", "protocol", "name")


def _container_port(raw: Any, container_at: Location, j: int) -> ContainerPort:
    """parse_container_port, remembered for the few distinct ports a cluster's pods repeat."""
    if isinstance(raw, Mapping):
        values = tuple(raw.get(f) for f in _PORT_FIELDS)
        if all(v is None or type(v) in (int, str) for v in values):  # exact types: True is no 1 here
            try:
                return _known_container_port(tuple((type(v).__name__, v) for v in values))
            except NetguardInputError:
                pass  # parsed again below, for the error's location
    return parse_container_port(raw, container_at.key("ports").index(j))


@lru_cache(maxsize=4096)
def _known_container_port(key: tuple[tuple[str, Any], ...]) -> ContainerPort:
    raw = {f: value for f, (_, value) in zip(_PORT_FIELDS, key) if value is not None}
    return parse_container_port(raw, Location())
