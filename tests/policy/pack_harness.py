"""Run the pack's rules the way the Pulumi engine does, without the engine.

Each resource's props get every number as a float (they cross gRPC as a protobuf Struct) and are
wrapped in pulumi_policy's unknown_checking_proxy, as the pack's gRPC server does at run time, so a rule that trips on a read-only Mapping proxy or on an unknown
value fails here too. Resource rules see each resource; stack rules see all of them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from pulumi_policy import (PolicyProviderResource, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)
from pulumi_policy.policy import PolicyCustomTimeouts
from pulumi_policy.proxy import unknown_checking_proxy

from rules import POLICIES


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    parent: Optional[str] = None
    provider: Optional["Provider"] = None

    @property
    def full_urn(self) -> str:
        return self.urn or f"urn:pulumi:test::ai-netguard::{self.type}::{self.name}"


@dataclass(frozen=True)
class Provider:
    """An explicit Kubernetes provider: its name and settings (kubeconfig, context, namespace, ...)."""

    name: str
    props: Mapping[str, Any] = field(default_factory=dict)

    def policy_resource(self) -> PolicyProviderResource:
        return PolicyProviderResource("pulumi:providers:kubernetes", unknown_checking_proxy(dict(self.props)),
                                      f"urn:pulumi:test::ai-netguard::pulumi:providers:kubernetes::{self.name}",
                                      self.name)


@dataclass(frozen=True)
class Found:
    policy: str
    message: str
    urn: Optional[str]


def type_token(api_version: str, kind: str) -> str:
    """The Pulumi type token the kubernetes provider gives an object: `kubernetes:apps/v1:Deployment`."""
    module = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{module}:{kind}"


def from_manifest(manifest: Mapping[str, Any], name: Optional[str] = None, *, parent: Optional[str] = None) -> Resource:
    metadata = manifest.get("metadata") or {}
    logical = name or "-".join(str(part) for part in (metadata.get("namespace"), metadata.get("name")) if part)
    return Resource(type_token(manifest["apiVersion"], manifest["kind"]), logical or manifest["kind"],
                    copy.deepcopy(dict(manifest)), parent=parent)


def _options(parent: Optional[str]) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def _as_over_grpc(value: Any) -> Any:
    """Props as the engine delivers them: a protobuf Struct, so every number is a float."""
    if isinstance(value, Mapping):
        return {key: _as_over_grpc(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_over_grpc(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _provider(resource: Resource) -> Optional[PolicyProviderResource]:
    return resource.provider.policy_resource() if resource.provider is not None else None


def _proxied(resource: Resource):
    return unknown_checking_proxy(_as_over_grpc(resource.props))


def run(resources: Iterable[Resource], config: Optional[Mapping[str, Mapping]] = None,
        policies=None) -> list[Found]:
    """Every violation the rules report over the resources, as the engine would collect them."""
    resources = list(resources)
    config = config or {}
    found: list[Found] = []
    for policy in policies if policies is not None else POLICIES:
        policy_config = config.get(policy.name)
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                args = ResourceValidationArgs(resource.type, _proxied(resource), resource.full_urn,
                                              resource.name, _options(resource.parent), _provider(resource),
                                              policy_config)
                policy.validate(args, lambda message, urn=None, r=resource, p=policy:
                                found.append(Found(p.name, message, urn or r.full_urn)))
        if isinstance(policy, StackValidationPolicy):
            stack = [PolicyResource(r.type, _proxied(r), r.full_urn, r.name, _options(r.parent),
                                    _provider(r), None, [], {}) for r in resources]
            policy.validate(StackValidationArgs(stack, policy_config),
                            lambda message, urn=None, p=policy: found.append(Found(p.name, message, urn)))
    return found


def by_policy(found: Iterable[Found]) -> dict[str, list[Found]]:
    grouped: dict[str, list[Found]] = {}
    for item in found:
        grouped.setdefault(item.policy, []).append(item)
    return grouped
