"""mesh-declared: the stack encrypts traffic between workloads (a service mesh is declared).

Why: "encryption in transit is table stakes", and NetworkPolicies cannot give it. A stack without a
mesh is reported here, advisory by default (not every cluster runs one yet); set this rule's
`enforcementLevel` to `mandatory` to require one. Once a mesh is declared, `encryption-in-transit`
checks that it is strict everywhere.
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from . import config, stack_model
from .encryption_in_transit import has_mesh
from .inputs import stack_objects
from .reporting import Violation, guarded

NAME = "mesh-declared"

CONFIG = config.schema({})


def check(args: Any) -> Iterator[Violation]:
    models = stack_model.build_all(stack_objects(args))
    if any(m.workload_namespaces() for m in models) and not any(has_mesh(m) for m in models):
        yield Violation(
            "encryption in transit is not enforced: no workload of the stack is in a service mesh and no mesh "
            "policy exists; declare netguard:platform.platform.mesh ({provider: istio, mode: sidecar|ambient})")


POLICY = StackValidationPolicy(
    name=NAME,
    description="The stack declares a service mesh, so that traffic between workloads is encrypted.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
