"""How a stack rule runs: its cluster settings checked, then one check per cluster of the stack."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from . import stack_model
from .inputs import stack_objects
from .reporting import Violation, config_problem, in_cluster


def each_cluster(rule: str, args: Any, settings: dict,
                 check_cluster: Callable[[stack_model.StackModel], Iterable[Violation]],
                 *, with_new_pods: bool = False) -> Iterator[Violation]:
    """A bad cluster setting fails the rule closed; otherwise ``check_cluster`` runs over the model of
    each cluster (Kubernetes provider) of the stack, and its messages name the cluster when there are several."""
    problem = config_problem(rule, settings)
    if problem:
        yield Violation(problem)
        return
    models = stack_model.build_all(stack_objects(args), settings, with_new_pods=with_new_pods)
    for model in models:
        for violation in check_cluster(model):
            yield Violation(in_cluster(models, model, violation.message), violation.urn)
