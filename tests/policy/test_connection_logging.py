"""connection-logging: the configured data classes' namespaces log allowed and denied connections."""

from __future__ import annotations

import json

import yaml

from policy import manifests as m
from policy.pack_harness import by_policy, run

RULE = "connection-logging"


def hubble(filters, exclude=()):
    content = {"flowLogs": [{"name": "netguard", "filePath": "/var/run/cilium/hubble/n.log", "fieldMask": [],
                             "includeFilters": list(filters), "excludeFilters": list(exclude)}]}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cilium-flowlog-config", "namespace": "kube-system"},
            "data": {"flowlogs.yaml": yaml.safe_dump(content)}}


def both(ns, verdicts=("FORWARDED", "DROPPED")):
    return [{"source_pod": [f"{ns}/"], "verdict": list(verdicts)}, {"destination_pod": [f"{ns}/"], "verdict": list(verdicts)}]


CLASSES = {"ai-serving": "confidential", "ai-training": "restricted", "ai-gateway": "internal"}


def stack():
    """The base stack with data classes on its namespaces, as AiNamespace writes them."""
    objects = m.base_stack()
    for o in objects:
        if o["kind"] == "Namespace":
            o["metadata"]["labels"]["netguard.io/data-class"] = CLASSES[o["metadata"]["name"]]
    return objects


def logging_found(objects, config=None):
    return [f.message for f in by_policy(run(m.resources(objects), config)).get(RULE, [])]


def regulated():
    """The base stack's namespaces of the data classes the rule checks by default."""
    return sorted(o["metadata"]["name"] for o in stack() if o["kind"] == "Namespace"
                  and o["metadata"].get("labels", {}).get("netguard.io/data-class") in ("confidential", "restricted"))


def test_without_an_exporter_every_regulated_namespace_fails():
    found = logging_found(stack())
    assert regulated() and len(found) == len(regulated())
    assert all("no ConfigMap kube-system/cilium-flowlog-config" in f for f in found)


def test_an_exporter_of_both_verdicts_for_each_namespace_passes():
    filters = [f for ns in regulated() for f in both(ns)]
    assert logging_found(stack() + [hubble(filters)]) == []


def test_denied_only_or_one_side_only_fails():
    ns = regulated()[0]
    only_drops = [f for n in regulated() for f in both(n, ("DROPPED",))]
    assert any("FORWARDED" in f for f in logging_found(stack() + [hubble(only_drops)]))
    one_side = [f for n in regulated() for f in both(n)[:1]]
    assert logging_found(stack() + [hubble(one_side)])
    everything = [f for n in regulated() for f in both(n)]
    excluded = logging_found(stack() + [hubble(everything, exclude=[{"destination_pod": [f"{ns}/"]}])])
    assert excluded  # an exclusion may drop the flows: not verified


def test_ovn_namespace_annotation():
    config = {RULE: {"cni": "ovn-kubernetes"}}
    objects = stack()
    assert len(logging_found(objects, config)) == len(regulated())
    for o in objects:
        if o["kind"] == "Namespace":
            o["metadata"].setdefault("annotations", {})["k8s.ovn.org/acl-logging"] = json.dumps({"allow": "info", "deny": "alert"})
    assert logging_found(objects, config) == []


def test_a_cni_the_pack_cannot_read_says_so():
    found = logging_found(stack(), {RULE: {"cni": "antrea"}})
    assert found and all("cannot verify connection logging on cni 'antrea'" in f for f in found)
