"""Where a vector store's API key comes from: pulumi-random, or a built-in dynamic provider.

`random` (the default) is pulumi-random's RandomPassword. `builtin` is a Pulumi dynamic resource
that draws the key from Python's `secrets` module: for CLIs without the pulumi-random plugin (the
machines that build Pulumi from Go modules cannot get it: the module proxy refuses every
pulumi-random provider version). Both keep the key in state, as a secret, and never regenerate it
unless its length changes.
"""

from __future__ import annotations

import secrets
import uuid
from enum import Enum
from typing import Any, Optional

import pulumi
import pulumi.dynamic as dynamic
import pulumi_random as random


class KeyGenerator(str, Enum):
    RANDOM = "random"
    BUILTIN = "builtin"

    @staticmethod
    def parse(value: Optional[str]) -> "KeyGenerator":
        """The generator a config value names; absent means pulumi-random."""
        if value is None:
            return KeyGenerator.RANDOM
        try:
            return KeyGenerator(value)
        except ValueError:
            choices = ", ".join(g.value for g in KeyGenerator)
            # RunError: Pulumi prints the message alone, without a traceback.
            raise pulumi.RunError(f"netguard:keyGenerator: {value!r} is not one of {choices}") from None


class _KeyProvider(dynamic.ResourceProvider):
    """Creates a URL-safe key of `length` characters; a new length replaces it, nothing else does."""

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        length = int(props["length"])
        return dynamic.CreateResult(id_=uuid.uuid4().hex, outs={"length": length, "result": _key(length)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = int(olds.get("length", 0)) != int(news["length"])
        return dynamic.DiffResult(changes=changed, replaces=["length"] if changed else [],
                                  delete_before_replace=False)


def _key(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


class BuiltinKey(dynamic.Resource):
    result: pulumi.Output[str]

    def __init__(self, name: str, length: int, opts: Optional[pulumi.ResourceOptions] = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["result"]))
        super().__init__(_KeyProvider(), name, {"length": length, "result": None}, opts)


def api_key(generator: KeyGenerator, name: str, length: int, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """A new API key resource of the chosen generator; its secret value."""
    if generator is KeyGenerator.BUILTIN:
        return pulumi.Output.secret(BuiltinKey(name, length, opts).result)
    return random.RandomPassword(name, length=length, special=False, opts=opts).result
