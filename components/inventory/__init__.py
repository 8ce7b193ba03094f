"""The platform inventory: the `netguard:platform` stack config, parsed and validated in one pass.

- `schema`: the sections and their entries (pydantic models) and the validated `Inventory`;
- `fields`, `cron`: single-field checks, as the API server would make them;
- `references`: what one entry says about another (declared namespaces, workloads, ports);
- `cni`: what the chosen CNI can enforce (domain egress, connection logging);
- `parse`: validate every entry alone, then the cross-entry checks, into one `InventoryError`;
- `errors`, `messages`: how a problem is reported (`netguard:platform.workloads[3].ports[0].port:
  70000 is not a valid port`).
"""

from .errors import CONFIG_KEY, InventoryError, format_path
from .fields import KINDS
from .parse import decode_config, parse_inventory
from .schema import (
    CidrEgress, DnsSettings, DomainEgress, EgressPort, EgressSpec, FlowSource, FlowSpec, Inventory, LoggingSettings,
    MeshSettings, NamespaceSpec, PlatformSettings, PortSpec, WorkloadRef, WorkloadSpec,
)

__all__ = [
    "CONFIG_KEY", "KINDS", "CidrEgress", "DnsSettings", "DomainEgress", "EgressPort", "EgressSpec", "FlowSource",
    "FlowSpec", "Inventory", "InventoryError", "LoggingSettings", "MeshSettings", "NamespaceSpec", "PlatformSettings", "PortSpec", "WorkloadRef",
    "WorkloadSpec", "decode_config", "format_path", "parse_inventory",
]
