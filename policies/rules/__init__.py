"""The rules of the ai-netguard policy pack, one module each; importable without starting the pack."""

from . import (connection_logging, egress_allowlist, encryption_in_transit, mesh_declared, mesh_principals,
               namespace_default_deny, namespace_pod_security, no_allow_all, role_isolation, trust_tier_guardrails,
               workload_identity)

POLICIES = [
    namespace_default_deny.POLICY,
    no_allow_all.POLICY,
    egress_allowlist.POLICY,
    role_isolation.POLICY,
    trust_tier_guardrails.POLICY,
    workload_identity.POLICY,
    namespace_pod_security.POLICY,
    encryption_in_transit.POLICY,
    mesh_principals.POLICY,
    mesh_declared.POLICY,
    connection_logging.POLICY,
]
