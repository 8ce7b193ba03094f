"""Run the stack program under Pulumi's mock runtime and return what it registered.

CONTRACT (the policy-pack tests use it):
    run_stack(platform: dict, *, render_dir: str | None = None) -> list[RegisteredResource]
    reference_platform() -> dict            # netguard:platform from Pulumi.dev.yaml
    RegisteredResource(type, name, urn, props, parent, provider=None)   # frozen
Also: run_stack_full (resources + exports), run_stack_failure (error + what was registered),
run_under_mocks(program, config) for any program function.

`props` are the resource's inputs as the provider receives them: plain JSON-like values in the
Kubernetes shape (apiVersion, kind, metadata, spec), camelCase, ints as ints, secrets unwrapped.
A bad inventory raises components.inventory.InventoryError, and nothing is registered.

Pulumi's runtime keeps global state (settings, config, the root stack, the event loop); every run
resets all of it, so any number of runs can share one process.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `components` is a folder of the project, not an installed package
    sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
from pulumi.runtime import config as runtime_config  # noqa: E402
from pulumi.runtime import mocks, rpc, settings  # noqa: E402
from pulumi.runtime.stack import run_in_stack  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

PROJECT = "ai-netguard"
STACK = "dev"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class RegisteredResource:
    type: str                 # e.g. "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    name: str                 # the logical name
    urn: Optional[str]
    props: dict               # inputs, JSON-like, camelCase
    parent: Optional[str]     # the parent's URN (the stack's URN at the top)
    provider: Optional[str] = None  # "<provider urn>::<id>" when an explicit provider was used


@dataclass(frozen=True)
class StackRun:
    resources: list[RegisteredResource]
    outputs: dict = field(default_factory=dict)  # the stack's exports

    def of_type(self, type_: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_]


class _Mocks(pulumi.runtime.Mocks):
    """Every resource's state is its inputs; RandomPassword gets a deterministic result."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"mock-password-{args.name}"
        return f"{args.name}_id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class _Monitor(mocks.MockMonitor):
    """The mock monitor, also keeping what it drops: parent, provider and the stack's outputs."""

    def __init__(self, mocks_: pulumi.runtime.Mocks):
        super().__init__(mocks_)
        self.registrations: list[RegisteredResource] = []
        self.stack_outputs: dict = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.registrations.append(RegisteredResource(
                type=request.type,
                name=request.name,
                urn=response.urn or None,
                props=plain(rpc.deserialize_properties(request.object)),
                parent=request.parent or None,
                provider=request.provider or None,
            ))
        return response

    def RegisterResourceOutputs(self, request):
        if f"::{STACK_TYPE}::" in request.urn:
            self.stack_outputs = plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)


def plain(value: Any) -> Any:
    """Protobuf-decoded values as JSON-like ones: secrets unwrapped, integral floats as ints."""
    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class StackFailure:
    error: BaseException
    resources: list[RegisteredResource]   # what was registered before the error (none, for bad inventory)


def run_under_mocks(program: Callable[[], Any], config: Mapping[str, Any]) -> StackRun:
    """Run any Pulumi program function with the given config (`project:key` -> value)."""
    run = _run(program, config)
    if isinstance(run, StackFailure):
        raise run.error
    return run


def _run(program: Callable[[], Any], config: Mapping[str, Any]) -> StackRun | StackFailure:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runtime_config.set_all_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, [])
        monitor = _Monitor(_Mocks())
        settings.ROOT.set(None)
        mocks.set_mocks(monitor.mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
        settings.SETTINGS.outputs.clear()
        # set_mocks made a root stack and finished it at once; run in a fresh one that collects exports.
        settings.ROOT.set(None)
        try:
            _sync_await(run_in_stack(program))
        except Exception as err:  # noqa: BLE001 handed back with what was registered
            return StackFailure(error=err, resources=list(monitor.registrations))
        return StackRun(resources=list(monitor.registrations), outputs=dict(monitor.stack_outputs))
    finally:
        settings.ROOT.set(None)
        runtime_config.set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)


def stack_config(platform: Mapping[str, Any], render_dir: Optional[str] = None,
                 **extra: str) -> dict[str, Any]:
    """Stack config for the program; extra keys are netguard config keys (keyGenerator="builtin")."""
    config: dict[str, Any] = {"netguard:platform": platform}
    if render_dir is not None:
        config["netguard:renderDir"] = render_dir
    config.update({f"netguard:{key}": value for key, value in extra.items()})
    return config


def run_stack_full(platform: Mapping[str, Any], *, render_dir: Optional[str] = None) -> StackRun:
    """The stack program with this inventory: its resources and its exports."""
    from components.program import run_program

    return run_under_mocks(run_program, stack_config(platform, render_dir))


def run_stack(platform: Mapping[str, Any], *, render_dir: Optional[str] = None) -> list[RegisteredResource]:
    """The stack program with this inventory; every resource it registered, in registration order."""
    return run_stack_full(platform, render_dir=render_dir).resources


def run_stack_failure(platform: Mapping[str, Any], *, render_dir: Optional[str] = None) -> StackFailure:
    """The stack program with an inventory expected to fail: the error and what was registered."""
    from components.program import run_program

    run = _run(run_program, stack_config(platform, render_dir))
    if isinstance(run, StackRun):
        raise AssertionError(f"the stack built {len(run.resources)} resources; expected it to fail")
    return run


def stack_file_config(stack: str = STACK) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def reference_platform() -> dict:
    """The reference inventory (netguard:platform in Pulumi.dev.yaml), a fresh copy each call."""
    return stack_file_config()["netguard:platform"]
