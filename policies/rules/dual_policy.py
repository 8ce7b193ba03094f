"""A policy that checks each resource and also the stack as a whole, under one name.

pulumi_policy asks ResourceValidationPolicy instances about each resource and StackValidationPolicy
instances about the stack; a rule such as egress-allowlist is both (each block on its own, and all
blocks of a workload together), and users configure it once, so it is one policy of both kinds.
The pack tells the kinds apart with isinstance, and Policy is an ABC, so the class registers as a
virtual StackValidationPolicy rather than inheriting two constructors that disagree.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy


class ResourceAndStackValidationPolicy(ResourceValidationPolicy):
    def __init__(self, name: str, description: str, *, validate_resource, validate_stack, **options: Any):
        super().__init__(name, description, validate=validate_resource, **options)
        self._validate_stack = validate_stack

    def validate(self, args, report_violation):
        if isinstance(args, StackValidationArgs):
            return self._validate_stack(args, report_violation)
        return super().validate(args, report_violation)


StackValidationPolicy.register(ResourceAndStackValidationPolicy)
