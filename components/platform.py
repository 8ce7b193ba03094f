"""AiPlatform: the whole inventory as namespaces, workloads, flows, egress allowlists and keys.

Logical names come from the inventory's names, never from positions, so re-ordering the inventory
changes nothing in the stack.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional

import pulumi

from . import identity
from .connection_logging import AiConnectionLogging, AiConnectionLoggingArgs
from .domain_egress import AiDomainEgress, AiDomainEgressArgs
from .egress import AiEgressAllowlist, AiEgressAllowlistArgs
from .flow import AiFlow, AiFlowArgs
from .guardrails import AiGuardrails, AiGuardrailsArgs
from .inventory import Inventory, WorkloadSpec
from .keys import KeyGenerator
from .mesh import mesh_provider
from .namespace import AiNamespace, AiNamespaceArgs
from .secrets import AiVectorStoreKey, AiVectorStoreKeyArgs, secret_env
from .workload import AiWorkload, AiWorkloadArgs, SecretEnv

VECTOR_STORE = "vector-store"


@dataclass(frozen=True)
class AiPlatformArgs:
    inventory: Inventory
    key_generator: KeyGenerator = KeyGenerator.RANDOM


def workload_key(workload: WorkloadSpec) -> str:
    return f"{workload.namespace}/{workload.name}"


def key_consumers(inventory: Inventory, store: WorkloadSpec) -> tuple[WorkloadSpec, ...]:
    """The workloads with a declared flow to the store (a role flow counts for each of its pods)."""
    consumers = {
        workload_key(w): w
        for flow in inventory.flows_to(store)
        for w in inventory.sources_of(flow)
    }
    consumers.pop(workload_key(store), None)
    return tuple(consumers[k] for k in sorted(consumers))


def logged_namespaces(inventory: Inventory) -> tuple[str, ...]:
    """The AI namespaces whose connections platform.logging asks to log."""
    logging = inventory.platform.logging
    if logging is None:
        return ()
    return tuple(sorted(
        ns.name for ns in inventory.namespaces if logging.all_namespaces or ns.data_class in logging.data_classes
    ))


class AiPlatform(pulumi.ComponentResource):
    """Everything the inventory declares, under one component named after `partOf`."""

    def __init__(self, name: str, args: AiPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiPlatform", name, None, opts)
        inv = args.inventory
        counts: Counter[str] = Counter({layer: 0 for layer in identity.LABEL_LAYERS})
        self.mesh = mesh_provider(inv.platform.mesh)

        namespaces = {ns.name: self._namespace(inv, ns.name, counts) for ns in inv.namespaces}
        ns_resource = {name: ns.namespace for name, ns in namespaces.items()}
        guardrails = AiGuardrails("guardrails", AiGuardrailsArgs(inv), pulumi.ResourceOptions(
            parent=self, depends_on=[ns_resource[n] for n in sorted(ns_resource)]))

        env: dict[str, list[SecretEnv]] = {}
        key_deps: dict[str, list[AiVectorStoreKey]] = {}  # a reader waits for the Secrets it reads
        for store in (w for w in inv.workloads if w.role == VECTOR_STORE):
            consumers = key_consumers(inv, store)
            used_in = {store.namespace, *(c.namespace for c in consumers)}
            key = AiVectorStoreKey(
                workload_key(store),
                AiVectorStoreKeyArgs(store, tuple(sorted(used_in)), inv.part_of, args.key_generator),
                pulumi.ResourceOptions(parent=self, depends_on=[ns_resource[n] for n in sorted(used_in)]),
            )
            for reader in (store, *consumers):
                env.setdefault(workload_key(reader), []).append(secret_env(store))
                key_deps.setdefault(workload_key(reader), []).append(key)

        for wl in inv.workloads:
            wkey = workload_key(wl)
            AiWorkload(
                wkey,
                AiWorkloadArgs(
                    workload=wl,
                    pod_labels=identity.pod_labels(inv, wl),
                    selector=identity.selector(wl),
                    secret_env=tuple(sorted(env.get(wkey, ()), key=lambda e: e.env)),
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[ns_resource[wl.namespace], *key_deps.get(wkey, ())]),
            )

        for flow in inv.flows:
            src = flow.source
            source_selector = (
                identity.selector(inv.workload(src.namespace, src.workload)) if src.workload
                else identity.role_selector(src.role)
            )
            AiFlow(
                flow.key,
                AiFlowArgs(flow, source_selector, inv.workload(flow.to.namespace, flow.to.workload), inv.part_of,
                           self.mesh, inv.sources_of(flow)),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[ns_resource[src.namespace], ns_resource[flow.to.namespace]]),
            )
            counts[identity.LAYER_FLOW] += 2
            if self.mesh:
                counts[identity.LAYER_MESH] += 1

        for egress in (e for e in inv.egress if e.cidrs):
            AiEgressAllowlist(
                f"{egress.key}/egress",
                AiEgressAllowlistArgs(egress, inv.workload(egress.namespace, egress.workload), inv.part_of),
                pulumi.ResourceOptions(parent=self, depends_on=[ns_resource[egress.namespace]]),
            )
            counts[identity.LAYER_EGRESS] += 1

        for egress in (e for e in inv.egress if e.domains):
            AiDomainEgress(
                f"{egress.key}/domains",
                AiDomainEgressArgs(egress, inv.workload(egress.namespace, egress.workload), inv.platform, inv.part_of),
                pulumi.ResourceOptions(parent=self, depends_on=[ns_resource[egress.namespace]]),
            )
            counts[identity.LAYER_EGRESS] += 1

        logged = logged_namespaces(inv)
        if logged:
            AiConnectionLogging("connection-logging", AiConnectionLoggingArgs(inv.platform.logging, logged, inv.part_of),
                                pulumi.ResourceOptions(parent=self))
            counts[identity.LAYER_LOGGING] += 1

        self.namespaces = sorted(namespaces)
        self.workloads = sorted(workload_key(w) for w in inv.workloads)
        self.policy_counts = dict(counts)
        self.guardrails = {"api": guardrails.api, "policies": guardrails.policies}
        self.egress_domains = sorted(
            ({"workload": e.key, "domain": d.domain, "ports": [f"{p.port}/{p.protocol}" for p in d.ports]}
             for e in inv.egress for d in e.domains),
            key=lambda d: (d["workload"], d["domain"]),
        )
        mesh = inv.platform.mesh
        self.encryption_in_transit = (
            {"enforced": True, "provider": mesh.provider, "mode": mesh.mode, "mtls": "STRICT"} if mesh
            else {"enforced": False, "reason": "no mesh declared (netguard:platform.platform.mesh): "
                                               "traffic between workloads is not encrypted by the platform"}
        )
        self.register_outputs({
            "encryptionInTransit": self.encryption_in_transit,
            "namespaces": self.namespaces,
            "workloads": self.workloads,
            "policies": self.policy_counts,
            "egressDomains": self.egress_domains,
            "guardrails": self.guardrails,
        })

    def _namespace(self, inv: Inventory, name: str, counts: Counter) -> AiNamespace:
        targets = tuple(w for w in inv.workloads_in(name) if w.metrics_port)
        by_cni = tuple(inv.workload(e.namespace, e.workload) for e in inv.egress
                       if e.domains and e.namespace == name and inv.platform.cni == "cilium")
        ns = AiNamespace(
            name,
            AiNamespaceArgs(inv.namespace(name), inv.platform, inv.part_of, targets, self.mesh, by_cni),
            pulumi.ResourceOptions(parent=self),
        )
        counts.update(ns.policy_counts)
        return ns
