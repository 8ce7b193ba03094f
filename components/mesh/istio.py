"""Istio (security.istio.io/v1): sidecar or ambient mode.

- a namespace is put in the mesh by `istio-injection: enabled` (sidecar) or
  `istio.io/dataplane-mode: ambient`;
- it gets a namespace-wide PeerAuthentication with mTLS STRICT (no plaintext accepted) and an
  allow-nothing AuthorizationPolicy (an ALLOW policy without rules: every workload of the namespace
  is selected by an ALLOW policy, so only what another ALLOW policy admits gets through);
- each flow gets an ALLOW policy on the destination's identity labels admitting the principals
  `cluster.local/ns/<ns>/sa/<sa>` of exactly its source workloads, on its container ports;
- a metrics target admits the scraper's principal when its ServiceAccount is configured, else the
  monitoring namespace (the one namespace-based allowance; it still requires mutual TLS);
- in ambient mode, NetworkPolicies also open ztunnel's HBONE port 15008/TCP beside each flow.
"""

from __future__ import annotations

from typing import Sequence

from netguard import labels

from .. import identity
from ..inventory import MeshSettings, PortSpec, WorkloadSpec
from .provider import MeshResource

API_VERSION = "security.istio.io/v1"
TRUST_DOMAIN = "cluster.local"
HBONE = (15008, "TCP")
MTLS_NAME = "netguard-mesh-mtls-strict"
ALLOW_NOTHING_NAME = "netguard-mesh-allow-nothing"


def principal(namespace: str, service_account: str) -> str:
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


class IstioMesh:
    def __init__(self, settings: MeshSettings) -> None:
        self.settings = settings

    def namespace_labels(self) -> dict[str, str]:
        if self.settings.mode == "ambient":
            return {"istio.io/dataplane-mode": "ambient"}
        return {"istio-injection": "enabled"}

    def namespace_policies(self, namespace: str, part_of: str) -> Sequence[MeshResource]:
        return (
            MeshResource("mesh-mtls", API_VERSION, "PeerAuthentication",
                         _metadata(MTLS_NAME, namespace, part_of), {"mtls": {"mode": "STRICT"}}),
            MeshResource("mesh-allow-nothing", API_VERSION, "AuthorizationPolicy",
                         _metadata(ALLOW_NOTHING_NAME, namespace, part_of), {}),
        )

    def flow_policy(self, name: str, destination: WorkloadSpec, sources: Sequence[WorkloadSpec],
                    ports: Sequence[PortSpec], part_of: str) -> MeshResource:
        # Every workload runs under its own ServiceAccount, named after it (components/workload.py).
        principals = sorted({principal(w.namespace, w.name) for w in sources})
        return MeshResource("mesh", API_VERSION, "AuthorizationPolicy",
                            _metadata(name, destination.namespace, part_of),
                            _allow(destination, {"principals": principals}, ports))

    def metrics_policy(self, workload: WorkloadSpec, monitoring_namespace: str, part_of: str) -> MeshResource:
        scraper = self.settings.scraper_service_account
        source = ({"principals": [principal(monitoring_namespace, scraper)]} if scraper
                  else {"namespaces": [monitoring_namespace]})
        return MeshResource(
            f"mesh-metrics/{workload.name}", API_VERSION, "AuthorizationPolicy",
            _metadata(f"netguard-mesh-metrics-{workload.name}", workload.namespace, part_of),
            _allow(workload, source, [workload.port(workload.metrics_port)]),
        )

    def datapath_ports(self) -> tuple[tuple[int, str], ...]:
        return (HBONE,) if self.settings.mode == "ambient" else ()


def _allow(destination: WorkloadSpec, source: dict, ports: Sequence[PortSpec]) -> dict:
    return {
        "selector": {"matchLabels": identity.selector(destination)},
        "action": "ALLOW",
        "rules": [{
            "from": [{"source": source}],
            "to": [{"operation": {"ports": [str(p.port) for p in ports]}}],
        }],
    }


def _metadata(name: str, namespace: str, part_of: str) -> dict:
    return identity.policy_metadata(name, namespace, labels.LAYER_MESH, part_of)
