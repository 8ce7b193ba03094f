"""AiVectorStoreKey: a generated API key for a vector store, as a Secret in every namespace that uses it.

A pod can only read Secrets of its own namespace, so the key is copied into each consumer's
namespace under the same name. Only the store and the workloads with a declared flow to it are
given the key; the copies exist only where such a workload runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from netguard import labels

from .inventory import WorkloadSpec
from .keys import KeyGenerator, api_key
from .workload import SecretEnv

KEY = "api-key"


@dataclass(frozen=True)
class AiVectorStoreKeyArgs:
    store: WorkloadSpec
    consumer_namespaces: tuple[str, ...]   # other namespaces with a workload that has a flow to the store
    part_of: str
    generator: KeyGenerator = KeyGenerator.RANDOM


def secret_name(store: WorkloadSpec) -> str:
    return f"netguard-key.{store.namespace}.{store.name}"


def secret_env(store: WorkloadSpec) -> SecretEnv:
    env = f"{store.namespace}_{store.name}_API_KEY".upper().replace("-", "_")
    # A namespace may start with a digit, a variable name may not.
    env = f"_{env}" if env[0].isdigit() else env
    return SecretEnv(env=env, secret=secret_name(store), key=KEY)


def secret_metadata(store: WorkloadSpec, namespace: str, part_of: str) -> dict:
    return {
        "name": secret_name(store),
        "namespace": namespace,
        "labels": {
            labels.APP_NAME: store.name,
            labels.APP_PART_OF: part_of,
            labels.APP_MANAGED_BY: labels.MANAGED_BY,
        },
    }


class AiVectorStoreKey(pulumi.ComponentResource):
    """The key `<ns>/<store>/api-key` (components.keys), its Secret, and a copy `...@<consumer namespace>`."""

    def __init__(self, name: str, args: AiVectorStoreKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiVectorStoreKey", name, None, opts)
        store = args.store
        password = api_key(args.generator, f"{name}/{KEY}", 48, pulumi.ResourceOptions(parent=self))
        self.secrets = []
        for namespace in (store.namespace, *sorted(set(args.consumer_namespaces) - {store.namespace})):
            logical = f"{name}/{KEY}" if namespace == store.namespace else f"{name}/{KEY}@{namespace}"
            self.secrets.append(k8s.core.v1.Secret(
                logical,
                metadata=secret_metadata(store, namespace, args.part_of),
                type="Opaque",
                string_data={KEY: password},
                opts=pulumi.ResourceOptions(parent=self),
            ))
        self.register_outputs({"secret": secret_name(store)})
