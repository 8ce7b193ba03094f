"""The stack program: read config, validate the inventory, build the platform, export.

`__main__.py` calls `run_program`; the test harness calls it too, so tests run the real program.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from . import guardrails
from .inventory import Inventory, decode_config, parse_inventory
from .keys import KeyGenerator
from .platform import AiPlatform, AiPlatformArgs


def provider(render_dir: str | None) -> k8s.Provider:
    """Render manifests to a folder when asked; otherwise use the ambient kubeconfig."""
    if render_dir:
        return k8s.Provider("k8s", render_yaml_to_directory=render_dir)
    return k8s.Provider("k8s")


def run_program() -> AiPlatform:
    """Raises InventoryError, before any resource exists, when the inventory is bad."""
    config = pulumi.Config("netguard")
    inventory: Inventory = parse_inventory(decode_config(config.get("platform")))
    guardrails.check(inventory)  # the cluster tiers' limits, before any resource exists
    platform = AiPlatform(
        inventory.part_of,
        AiPlatformArgs(inventory, KeyGenerator.parse(config.get("keyGenerator"))),
        pulumi.ResourceOptions(provider=provider(config.get("renderDir"))),
    )
    pulumi.export("namespaces", platform.namespaces)
    pulumi.export("workloads", platform.workloads)
    pulumi.export("policies", platform.policy_counts)
    pulumi.export("egressDomains", platform.egress_domains)
    pulumi.export("guardrails", platform.guardrails)
    pulumi.export("encryptionInTransit", platform.encryption_in_transit)
    return platform
