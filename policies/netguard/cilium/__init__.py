"""Cilium's own policies (cilium.io/v2 CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy), L3/L4.

Semantics of Cilium 1.19, read from ``pkg/policy/api``: a spec selects endpoints by their Cilium
labels (pod labels, ``io.kubernetes.pod.namespace``, ``io.cilium.k8s.namespace.labels.*``,
``io.cilium.k8s.policy.serviceaccount``); a direction with allow or deny rules puts the selected
endpoints in default deny unless ``enableDefaultDeny`` says otherwise; allows are a union across
Kubernetes NetworkPolicies and Cilium policies (they sit in the NetworkPolicy tier); a deny rule
wins over every allow of that tier. L7 rules (``toPorts[].rules``) are not modelled: the rule
counts for its L3/L4 part only, and explain says so.

- ``labels``: an endpoint's Cilium labels and selector keys (``k8s:``/``any:`` prefixes).
- ``peers``: the matchers Cilium rules add (endpoints, CIDRs, entities).
- ``parse``: manifests -> ``CiliumPolicy`` values, validated, every error naming its field.
- ``deny``: the deny rules, per pair and over the classes' bitsets.
"""
