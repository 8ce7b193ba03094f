"""The pack's shape: the rule list, config schemas with defaults, and the example config file."""

from __future__ import annotations

import json
from pathlib import Path

from pulumi_policy import EnforcementLevel

from policy.pack_harness import Resource, by_policy, run
from rules import POLICIES

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "policy-config.example.json"


def test_every_rule_but_pod_security_is_mandatory_by_default():
    levels = {p.name: p.enforcement_level for p in POLICIES}
    assert levels == {
        "namespace-default-deny": EnforcementLevel.MANDATORY, "no-allow-all": EnforcementLevel.MANDATORY,
        "egress-allowlist": EnforcementLevel.MANDATORY, "role-isolation": EnforcementLevel.MANDATORY,
        "trust-tier-guardrails": EnforcementLevel.MANDATORY,
        "workload-identity": EnforcementLevel.MANDATORY, "namespace-pod-security": EnforcementLevel.ADVISORY,
        "encryption-in-transit": EnforcementLevel.MANDATORY, "mesh-principals": EnforcementLevel.MANDATORY,
        "mesh-declared": EnforcementLevel.ADVISORY, "connection-logging": EnforcementLevel.ADVISORY}


def test_every_config_property_has_a_default_and_a_description():
    for policy in POLICIES:
        for key, prop in policy.config_schema.properties.items():
            assert "default" in prop and prop.get("description"), f"{policy.name}.{key}"


def test_the_example_config_names_only_known_rules_and_properties(reference_run):
    config = json.loads(EXAMPLE.read_text())
    assert set(config) == {p.name for p in POLICIES}
    for policy in POLICIES:
        unknown = set(config[policy.name]) - set(policy.config_schema.properties) - {"enforcementLevel"}
        assert not unknown, f"{policy.name}: {unknown}"
    resources = [Resource(r.type, r.name, r.props, r.urn or "", r.parent) for r in reference_run.resources]
    assert by_policy(run(resources, config)) == {}
