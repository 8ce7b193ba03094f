"""The mesh layer: encryption in transit and authorization by workload identity.

Callers (namespace, flow and platform components) ask a `MeshProvider` for what the inventory's
intent needs (namespace labels, namespace-wide policies, one policy per flow, one per metrics
target, datapath ports the mesh's own tunnel uses) and create what it returns. Only the provider
knows its API: `istio.py` today; another mesh (Linkerd) is one more module and one more entry in
`PROVIDERS`, with no change to the callers.
"""

from .provider import MeshProvider, MeshResource, create, mesh_provider

__all__ = ["MeshProvider", "MeshResource", "create", "mesh_provider"]
