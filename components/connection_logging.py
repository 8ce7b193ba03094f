"""AiConnectionLogging: a log of the allowed and denied connections of the chosen namespaces.

Cilium has no per-policy log switch: Hubble sees every verdict, and its dynamic exporter keeps
those that match its filters. The exporter reads the ConfigMap `cilium-flowlog-config`
(`flowlogs.yaml`: a `flowLogs` list of {name, filePath, fieldMask, includeFilters,
excludeFilters}); netguard owns that ConfigMap, so the cluster needs the Helm values
`hubble.export.dynamic.enabled=true` and `hubble.export.dynamic.config.createConfigMap=false`
(the documented fallback the inventory's `logging.acceptFallback` accepts). One include filter
per namespace and direction: flows from or to the namespace with the verdicts asked for
(FORWARDED for allowed, DROPPED for denied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
import yaml

from . import identity
from .inventory import LoggingSettings

CONFIG_MAP = "cilium-flowlog-config"
CILIUM_NAMESPACE = "kube-system"
VERDICTS = {"allowed": "FORWARDED", "denied": "DROPPED"}


@dataclass(frozen=True)
class AiConnectionLoggingArgs:
    logging: LoggingSettings
    namespaces: tuple[str, ...]  # the AI namespaces whose connections are logged
    part_of: str


def hubble_exporter_config(args: AiConnectionLoggingArgs) -> dict:
    verdicts = [VERDICTS[c] for c in args.logging.connections]
    filters = [
        {side: [f"{ns}/"], "verdict": verdicts}
        for ns in sorted(args.namespaces) for side in ("source_pod", "destination_pod")
    ]
    return {"flowLogs": [{
        "name": f"netguard-{args.part_of}",
        "filePath": f"/var/run/cilium/hubble/netguard-{args.part_of}.log",
        "fieldMask": [],
        "includeFilters": filters,
        "excludeFilters": [],
    }]}


def config_map(args: AiConnectionLoggingArgs) -> dict:
    metadata = identity.policy_metadata(CONFIG_MAP, CILIUM_NAMESPACE, identity.LAYER_LOGGING, args.part_of)
    return {"metadata": metadata, "data": {"flowlogs.yaml": yaml.safe_dump(hubble_exporter_config(args), sort_keys=False)}}


class AiConnectionLogging(pulumi.ComponentResource):
    def __init__(self, name: str, args: AiConnectionLoggingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiConnectionLogging", name, None, opts)
        k8s.core.v1.ConfigMap(name, **config_map(args), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"namespaces": sorted(args.namespaces), "connections": list(args.logging.connections)})
