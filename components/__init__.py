"""Pulumi components that put generative-AI workloads behind strict, provable network boundaries.

Installed, this folder is the package `ai_netguard`; in this repository it is also `components`.
Names load lazily so `components.inventory` (and the policy pack's tests) need not import Pulumi.
"""
from importlib import import_module

# public name -> module (relative to this package) that defines it
_EXPORTS = {
    "AiPlatform": "platform", "AiPlatformArgs": "platform",
    "AiNamespace": "namespace", "AiNamespaceArgs": "namespace",
    "AiWorkload": "workload", "AiWorkloadArgs": "workload", "SecretEnv": "workload",
    "AiFlow": "flow", "AiFlowArgs": "flow",
    "AiEgressAllowlist": "egress", "AiEgressAllowlistArgs": "egress",
    "AiGuardrails": "guardrails", "AiGuardrailsArgs": "guardrails",
    "AiDomainEgress": "domain_egress", "AiDomainEgressArgs": "domain_egress",
    "AiConnectionLogging": "connection_logging", "AiConnectionLoggingArgs": "connection_logging",
    "AiVectorStoreKey": "secrets", "AiVectorStoreKeyArgs": "secrets",
    "KeyGenerator": "keys",
    "MeshProvider": "mesh", "mesh_provider": "mesh",
    "Inventory": "inventory", "InventoryError": "inventory", "parse_inventory": "inventory",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
