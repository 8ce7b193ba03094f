"""The label vocabulary shared by the components, the policy pack and the engine.

One module, because the pack is published as the policies/ folder alone: the components import
these names from here, never the other way round.
"""

ROLE = "netguard.io/role"
DATA_CLASS = "netguard.io/data-class"
LAYER = "netguard.io/layer"
TRUST_TIER = "netguard.io/trust-tier"

APP_NAME = "app.kubernetes.io/name"
APP_PART_OF = "app.kubernetes.io/part-of"
APP_MANAGED_BY = "app.kubernetes.io/managed-by"
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by the API server; no tenant can forge it

MANAGED_BY = "ai-netguard"

# Every AI workload has exactly one of these roles.
ROLES = frozenset({
    "preprocessing",   # ingestion, cleaning, chunking, embedding jobs
    "training",        # fine-tuning and training jobs; holds the most sensitive data
    "inference",       # model servers
    "vector-store",    # embedding indexes for retrieval
    "feature-store",   # curated features for training and inference
    "model-registry",  # versioned model artefacts
    "gateway",         # the API edge in front of inference
    "notebook",        # interactive exploration
})

# Ordered from least to most sensitive.
DATA_CLASSES = ("public", "internal", "confidential", "restricted")

TRUST_TIERS = ("untrusted", "standard", "trusted")

# The layers of NetworkPolicy the components make, in the order they are applied.
LAYERS = ("baseline", "platform", "flow", "egress")
# The cluster-wide tier policies (ClusterNetworkPolicy, AdminNetworkPolicy, ...) the components make.
LAYER_GUARDRAIL = "guardrail"
LAYER_LOGGING = "logging"  # objects that make the CNI log connections (Hubble exporter, ...)

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
PSA_AUDIT = "pod-security.kubernetes.io/audit"
PSA_WARN = "pod-security.kubernetes.io/warn"
PSA_RESTRICTED = "restricted"

# The layer of the mesh's policy objects (Istio PeerAuthentication, AuthorizationPolicy).
LAYER_MESH = "mesh"
