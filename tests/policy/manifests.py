"""Small, well-formed Kubernetes objects for the pack's tests: a clean base stack to break one way at a time."""

from __future__ import annotations

from typing import Any, Optional

from netguard import labels

from policy.pack_harness import Resource, from_manifest


def namespace(name: str, *, enforce: Optional[str] = "restricted", mesh: bool = True) -> dict:
    ns_labels = {labels.NAMESPACE_NAME: name}
    if enforce is not None:
        ns_labels[labels.PSA_ENFORCE] = enforce
    if mesh:
        ns_labels["istio-injection"] = "enabled"  # in the Istio mesh (sidecar injection)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": ns_labels}}


def network_policy(ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def default_deny(ns: str, types=("Ingress", "Egress")) -> dict:
    return network_policy(ns, "default-deny", {"podSelector": {}, "policyTypes": list(types)})


def dns_egress(ns: str) -> dict:
    return network_policy(ns, "allow-dns", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
    })


def pod_spec(name: str, ports=(8080,), **overrides: Any) -> dict:
    spec = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "containers": [{"name": "main", "image": f"registry.example.com/{name}:1.0",
                        "ports": [{"name": f"p{p}", "containerPort": p, "protocol": "TCP"} for p in ports]}],
    }
    spec.update(overrides)
    return spec


def identity(name: str, role: str, data_class: str = "internal") -> dict:
    return {labels.ROLE: role, labels.DATA_CLASS: data_class, labels.APP_NAME: name}


def deployment(ns: str, name: str, role: str, *, ports=(8080,), **spec_overrides: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {labels.APP_NAME: name}},
                     "template": {"metadata": {"labels": identity(name, role)},
                                  "spec": pod_spec(name, ports, **spec_overrides)}}}


def cron_job(ns: str, name: str, role: str, **spec_overrides: Any) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {
                "metadata": {"labels": identity(name, role)},
                "spec": pod_spec(name, (), restartPolicy="Never", **spec_overrides)}}}}}


def peer(ns: str, role: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: ns}},
            "podSelector": {"matchLabels": {labels.ROLE: role}}}


def flow(src_ns: str, src_role: str, dst_ns: str, dst_role: str, port: int) -> list[dict]:
    """A declared flow: an ingress policy on the destination and an egress policy on the source."""
    ports = [{"port": port, "protocol": "TCP"}]
    return [
        network_policy(dst_ns, f"from-{src_role}", {
            "podSelector": {"matchLabels": {labels.ROLE: dst_role}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [peer(src_ns, src_role)], "ports": ports}]}),
        network_policy(src_ns, f"to-{dst_role}", {
            "podSelector": {"matchLabels": {labels.ROLE: src_role}}, "policyTypes": ["Egress"],
            "egress": [{"to": [peer(dst_ns, dst_role)], "ports": ports}]}),
    ]


def mesh_wide_strict() -> dict:
    """Istio's mesh-wide PeerAuthentication (root namespace istio-system): STRICT mutual TLS."""
    return {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}}


def isolated_namespace(ns: str) -> list[dict]:
    return [namespace(ns), default_deny(ns), dns_egress(ns)]


def base_stack() -> list[dict]:
    """Gateway -> inference on 8080; training beside them, reached by nobody; all in a strict mesh."""
    return [
        mesh_wide_strict(),
        *isolated_namespace("ai-gateway"), *isolated_namespace("ai-serving"), *isolated_namespace("ai-training"),
        deployment("ai-gateway", "router", "gateway"),
        deployment("ai-serving", "llm", "inference"),
        deployment("ai-training", "trainer", "training"),
        *flow("ai-gateway", "gateway", "ai-serving", "inference", 8080),
    ]


def resources(manifests: list[dict]) -> list[Resource]:
    return [from_manifest(m) for m in manifests]
