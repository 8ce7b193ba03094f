"""Rule configuration: each rule's JSON schema with its defaults, and the merged values.

The CLI validates `--policy-pack-config` against the schema; the defaults are applied here too, so
a rule behaves the same when it is called directly (tests, another pack) with no config at all.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from pulumi_policy import PolicyConfigSchema

FAIL_ON_UNKNOWN = "failOnUnknown"

_FAIL_ON_UNKNOWN_SCHEMA = {
    "type": "boolean",
    "default": True,
    "description": ("Report a violation when a value that decides this rule is unknown at preview "
                    "(fail closed). Set to false to skip such values at preview; `pulumi up` "
                    "still checks them once they are known."),
}


def schema(properties: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema:
    """A rule's config schema: its own properties plus the shared failOnUnknown switch."""
    merged = {FAIL_ON_UNKNOWN: dict(_FAIL_ON_UNKNOWN_SCHEMA)}
    merged.update({key: dict(value) for key, value in properties.items()})
    return PolicyConfigSchema(properties=merged)


def values(config_schema: PolicyConfigSchema, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The schema's defaults overlaid with the config the user gave."""
    merged = {key: copy.deepcopy(prop["default"])
              for key, prop in config_schema.properties.items() if "default" in prop}
    merged.update(dict(given or {}))
    return merged


REVIEWED_KINDS = "reviewedKinds"
POD_CIDRS = "podCidrs"
SERVICE_CIDRS = "serviceCidrs"

# What every rule that asks the engine about connectivity needs to know about the cluster.
CLUSTER_PROPERTIES: dict[str, dict[str, Any]] = {
    REVIEWED_KINDS: {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": ("`group/Kind` (or `group/Kind namespace/name` for one object) patterns "
                        "(fnmatch) of kinds the pack does not model, reviewed as running no pods "
                        "and allowing no traffic that matters: custom resources, Helm Releases "
                        "(`helm.sh/Release`), other products' policy kinds (`cilium.io/*`). "
                        "Until then they make this rule fail closed."),
    },
    POD_CIDRS: {
        "type": "array", "items": {"type": "string"}, "default": ["0.0.0.0/0", "::/0"],
        "description": ("The cluster's pod networks. Pod IPs are unknown at preview, so an ipBlock "
                        "that meets them may match any pod; the default, every address, assumes "
                        "nothing."),
    },
    SERVICE_CIDRS: {
        "type": "array", "items": {"type": "string"}, "default": ["0.0.0.0/0", "::/0"],
        "description": ("The cluster's Service networks; an ipBlock that meets them may match the "
                        "pods behind a Service (CNIs differ), so any pod."),
    },
}


def cluster_schema(properties: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema:
    """A stack rule's schema: its own properties, the cluster facts and failOnUnknown."""
    return schema({**CLUSTER_PROPERTIES, **properties})
