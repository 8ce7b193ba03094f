"""workload-identity's stack part: pods that read a legacy service account token Secret."""

from __future__ import annotations

import pytest

from policy import manifests as m
from policy.pack_harness import by_policy, run
from policy.test_adversarial import LEGACY_TOKEN, trainer_with

READS = {
    "a volume": {"volumes": [{"name": "t", "secret": {"secretName": "trainer-token"}}]},
    "a projected source": {"volumes": [{"name": "t", "projected": {"sources": [{"secret": {"name": "trainer-token"}}]}}]},
    "env secretKeyRef": {"containers": [{"name": "c", "image": "i", "env": [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "trainer-token", "key": "token"}}}]}]},
    "envFrom secretRef": {"initContainers": [{"name": "c", "image": "i", "envFrom": [
        {"secretRef": {"name": "trainer-token"}}]}]},
}


def identity_messages(objects, config=None) -> str:
    return " | ".join(f.message for f in by_policy(run(m.resources(objects), config)).get("workload-identity", []))


@pytest.mark.parametrize("how", READS)
def test_a_pod_that_reads_a_legacy_token_secret_fails_with_what_to_use(how):
    found = identity_messages(trainer_with(**READS[how]) + [LEGACY_TOKEN])
    assert "Deployment ai-training/trainer" in found and "'trainer-token'" in found
    assert "kubernetes.io/service-account-token" in found and "projected, bound serviceAccountToken" in found


@pytest.mark.parametrize("how", READS)
def test_a_pod_that_reads_an_opaque_secret_passes(how):
    opaque = {**LEGACY_TOKEN, "type": "Opaque"}
    assert identity_messages(trainer_with(**READS[how]) + [opaque]) == ""


def test_a_legacy_token_secret_of_another_namespace_is_not_the_pods():
    elsewhere = {**LEGACY_TOKEN, "metadata": {**LEGACY_TOKEN["metadata"], "namespace": "ai-serving"}}
    assert identity_messages(trainer_with(**READS["a volume"]) + [elsewhere]) == ""


def test_an_allowed_workload_may_read_a_legacy_token():
    config = {"workload-identity": {"allowTokenAutomount": ["ai-training/trainer"]}}
    assert "trainer-token" not in identity_messages(trainer_with(**READS["a volume"]) + [LEGACY_TOKEN], config)
