"""Cluster-wide tiers of policy: the sig-network policy.networking.k8s.io API.

ClusterNetworkPolicy (v1alpha2, ``spec.tier: Admin|Baseline``) and the older AdminNetworkPolicy /
BaselineAdminNetworkPolicy (v1alpha1), read into one model and evaluated per direction in the
API's order: the Admin tier (ascending priority, rules in order, first match wins; Accept and Deny
are final, Pass skips the rest of the Admin tier), then NetworkPolicies (final for the pods they
select), then the Baseline tier, then allow.

- ``model``: frozen values of a tier policy after validation (actions read as Accept/Deny/Pass).
- ``parse``: manifests -> model, with one-line typed errors (``parse_ports`` for the two port shapes).
- ``compile``: model -> the engine's matchers (PodPeer, IPBlockPeer, DomainPeer, NodesPeer, ports).
- ``evaluate``: one side of one pair, port by port, with the decisions that explain it.
- ``bitsets``: the same order over endpoint classes, for the whole matrix.
"""
