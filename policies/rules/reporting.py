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
