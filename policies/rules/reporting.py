"""How every rule reports: violations with a resource, never a traceback.

A rule that crashes on a resource it has never seen must not pass in silence, nor print a
traceback at the user: the guard turns the crash into a violation that names the resource.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from pulumi_policy import ReportViolation


@dataclass(frozen=True)
class Violation:
    message: str
    urn: Optional[str] = None


def unknown_message(ref: str, paths: Iterable[str]) -> str:
    listed = ", ".join(sorted(paths))
    return (f"{ref}: cannot be verified at preview because {listed} is unknown until the update; "
            f"make the value known at preview (a literal or a config value), or set failOnUnknown: "
            f"false for this rule to defer the check")


def guarded(check: Callable[..., Iterable[Violation]]) -> Callable[[object, ReportViolation], None]:
    """Wrap `check(args) -> violations` as a pulumi_policy validate callback."""

    @functools.wraps(check)
    def validate(args, report_violation: ReportViolation) -> None:
        try:
            violations = list(check(args))
        except Exception as error:  # noqa: BLE001 - fail closed on anything unforeseen
            subject = getattr(args, "urn", None) or "the stack"
            violations = [Violation(f"{subject}: the rule could not check this "
                                    f"({type(error).__name__}: {error}); fix the resource or "
                                    f"report the case to the ai-netguard maintainers")]
        for violation in violations:
            report_violation(violation.message, violation.urn)

    return validate


def left_out_message(item, rule: str) -> str:
    """Why a rule cannot verify an object it had to leave out of the model, and what to do."""
    from . import kinds, stack_model  # late: reporting is imported by every rule module

    obj = item.obj
    if item.why == stack_model.UNKNOWN_AT_PREVIEW:
        return unknown_message(obj.ref, [item.reason])
    if item.why == stack_model.MALFORMED:
        return f"{item.reason}; {rule} cannot check what the engine cannot read: fix the field"
    kind = kinds.kind_name(obj)
    return (f"cannot verify: {obj.ref}: {item.reason}; until the pack models it, review it and list "
            f"`{kind}` (or `{kind} {obj.identity}`) in {rule}'s reviewedKinds")


def in_cluster(models, model, message: str) -> str:
    """A message about one of several clusters names it."""
    if len(models) < 2:
        return message
    return f"cluster {model.name or 'of the default provider'}: {message}"


def config_problem(rule: str, settings: dict) -> Optional[str]:
    """A cluster setting that is not a list of CIDRs makes the rule fail closed, naming the key."""
    from . import stack_model

    try:
        stack_model.pod_networks(settings)
    except (ValueError, TypeError) as error:
        return f"{rule} config: podCidrs/serviceCidrs has a value that is not a CIDR ({error}); nothing can be checked"
    return None
