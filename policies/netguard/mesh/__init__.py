"""The mesh enforcement point: Istio's mutual TLS and authorization, on the workload's identity.

A connection to a meshed destination is allowed by the mesh when its mTLS mode accepts it
(STRICT rejects plaintext) and its AuthorizationPolicies do (CUSTOM, then DENY, then ALLOW).
The datapath (NetworkPolicies and cluster tiers) is a separate point; ``analysis.py`` combines
the two. Files, in pipeline order:

- ``model.py``: frozen values of PeerAuthentication and AuthorizationPolicy (``MeshPolicies``);
- ``strings.py``: Istio's string match (exact, ``prefix*``, ``*suffix``, presence ``*``);
- ``parse.py``: manifests -> model values, with errors that name the field;
- ``membership.py``: who is in the mesh (sidecar or ambient) and under which principal;
- ``mtls.py``: the effective mTLS mode of a workload's port;
- ``rules.py``: does a rule match a connection, read for ALLOW or for DENY (fail-closed);
- ``evaluate.py``: one connection, with reasons; ``bits.py``: the whole matrix over classes.
"""
