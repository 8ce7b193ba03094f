"""The vector-store key: pulumi-random by default, the built-in dynamic generator on request."""

from __future__ import annotations

import pytest
import pulumi

from components.keys import KeyGenerator, _KeyProvider
from components.program import run_program
from stack_harness import run_under_mocks, stack_config

DYNAMIC = "pulumi-python:dynamic:Resource"
PASSWORD = "random:index/randomPassword:RandomPassword"


def types_of(resources) -> list[str]:
    return [r.type for r in resources]


def test_the_builtin_generator_replaces_random_password(reference_inventory):
    run = run_under_mocks(run_program, stack_config(reference_inventory, "rendered", keyGenerator="builtin"))

    assert PASSWORD not in types_of(run.resources)
    [key] = [r for r in run.resources if r.type == DYNAMIC]
    assert key.name == "ai-data/vector-db/api-key" and key.props["length"] == 48


def test_an_unknown_generator_is_a_clean_error_naming_the_key(reference_inventory):
    with pytest.raises(pulumi.RunError, match="netguard:keyGenerator: 'dice' is not one of random, builtin"):
        run_under_mocks(run_program, stack_config(reference_inventory, keyGenerator="dice"))


def test_absent_config_means_pulumi_random():
    assert KeyGenerator.parse(None) is KeyGenerator.RANDOM


def test_the_provider_makes_keys_of_the_length_asked_and_never_the_same_twice():
    first = _KeyProvider().create({"length": 48}).outs["result"]
    second = _KeyProvider().create({"length": 48}).outs["result"]
    assert len(first) == len(second) == 48 and first != second


def test_only_a_new_length_replaces_the_key():
    provider = _KeyProvider()
    assert provider.diff("id", {"length": 48, "result": "x"}, {"length": 48}).changes is False
    diff = provider.diff("id", {"length": 48, "result": "x"}, {"length": 64})
    assert diff.changes is True and diff.replaces == ["length"]
