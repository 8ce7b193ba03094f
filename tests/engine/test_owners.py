"""Pods and their owners: a cluster dump's owned Pods, ReplicaSets and Jobs fold into their workload."""

from __future__ import annotations

import json

import pytest

from netguard.analysis import Analyzer
from netguard.cli import main
from netguard.loader import build_cluster

NS = "ai"


def owner_ref(kind: str, name: str, controller: bool = True) -> dict:
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return {"apiVersion": api, "kind": kind, "name": name, "uid": f"uid-{name}", "controller": controller}


def template(labels: dict, ports=(8080,)) -> dict:
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": p} for p in ports]}]}}


def deployment(name: str, labels: dict, ports=(8080,)) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"matchLabels": labels}, "template": template(labels, ports)}}


def replica_set(deploy: str, labels: dict, hash_: str, ports=(8080,)) -> dict:
    labels = {**labels, "pod-template-hash": hash_}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{deploy}-{hash_}", "namespace": NS, "labels": labels,
                         "ownerReferences": [owner_ref("Deployment", deploy)]},
            "spec": {"template": template(labels, ports)}}


def pod(name: str, labels: dict, owner: dict | None, ip: str, ports=(8080,)) -> dict:
    metadata = {"name": name, "namespace": NS, "labels": labels}
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": template(labels, ports)["spec"], "status": {"podIP": ip}}


def policy(name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


WEB = {"app": "web"}
DB = {"app": "db"}


def dump(*extra: dict) -> list[dict]:
    """web (Deployment, its ReplicaSet, two Pods) and db (a StatefulSet and its Pod), db open to web."""
    objects = [
        deployment("web", WEB), replica_set("web", WEB, "5d8f9c7b6e"),
        pod("web-5d8f9c7b6e-a", {**WEB, "pod-template-hash": "5d8f9c7b6e"},
            owner_ref("ReplicaSet", "web-5d8f9c7b6e"), "10.244.0.10"),
        pod("web-5d8f9c7b6e-b", {**WEB, "pod-template-hash": "5d8f9c7b6e"},
            owner_ref("ReplicaSet", "web-5d8f9c7b6e"), "10.244.0.11"),
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": NS},
         "spec": {"template": template(DB, (5432,))}},
        pod("db-0", {**DB, "controller-revision-hash": "db-7f9", "statefulset.kubernetes.io/pod-name": "db-0",
                     "apps.kubernetes.io/pod-index": "0"}, owner_ref("StatefulSet", "db"), "10.244.1.5", (5432,)),
        policy("db-from-web", {"podSelector": {"matchLabels": DB},
                               "ingress": [{"from": [{"podSelector": {"matchLabels": WEB}}]}]}),
        *extra,
    ]
    return [("dump.yaml", o) for o in objects]


def ids(cluster) -> list[str]:
    return [e.id for e in cluster.endpoints]


def test_pods_and_replica_sets_fold_into_their_workload():
    cluster = build_cluster(dump())
    assert ids(cluster) == ["ai/db", "ai/web"]
    assert dict(cluster.stands_for) == {
        "ai/db": ("ai/db-0",),
        "ai/web": ("ai/web-5d8f9c7b6e", "ai/web-5d8f9c7b6e-a", "ai/web-5d8f9c7b6e-b"),
    }


def test_pod_level_keeps_every_pod():
    cluster = build_cluster(dump(), pod_level=True)
    assert len(ids(cluster)) == 6 and not cluster.stands_for


@pytest.mark.parametrize("why, extra, kept", [
    ("a label added by hand", [pod("web-x", {**WEB, "pod-template-hash": "5d8f9c7b6e", "debug": "on"},
                                   owner_ref("ReplicaSet", "web-5d8f9c7b6e"), "10.244.0.12")], "ai/web-x"),
    ("other ports than the template", [pod("web-y", {**WEB, "pod-template-hash": "5d8f9c7b6e"},
                                           owner_ref("ReplicaSet", "web-5d8f9c7b6e"), "10.244.0.13", (9090,))], "ai/web-y"),
    ("an owner reference that is not the controller", [pod("web-z", {**WEB, "pod-template-hash": "5d8f9c7b6e"},
                                                           owner_ref("ReplicaSet", "web-5d8f9c7b6e", False), "10.244.0.14")],
     "ai/web-z"),
    ("an owner of another kind than named", [pod("web-k", WEB, owner_ref("DaemonSet", "web"), "10.244.0.15")], "ai/web-k"),
    ("an old ReplicaSet of another template", [replica_set("web", {"app": "web", "v": "1"}, "11111")], "ai/web-11111"),
])
def test_an_owned_object_a_policy_could_tell_apart_stays_an_endpoint(why, extra, kept):
    cluster = build_cluster(dump(*extra))
    assert kept in ids(cluster), why


def test_a_selector_naming_a_controller_label_keeps_the_pods():
    pinned = policy("pin", {"podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]},
                            "policyTypes": ["Ingress"]})
    cluster = build_cluster(dump(pinned))
    # The ReplicaSet's template carries the hash, as its Pods do: they fold into it, not further.
    assert cluster.stands_for["ai/web-5d8f9c7b6e"] == ("ai/web-5d8f9c7b6e-a", "ai/web-5d8f9c7b6e-b")
    assert "ai/web" not in cluster.stands_for
    assert "ai/db-0" not in ids(cluster)  # its controller labels are named by no selector


def test_an_ip_block_holding_a_pod_ip_keeps_that_pod():
    by_ip = policy("by-ip", {"podSelector": {"matchLabels": DB},
                             "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.11/32"}}]}]})
    cluster = build_cluster(dump(by_ip))
    assert "ai/web-5d8f9c7b6e-b" in ids(cluster) and "ai/web-5d8f9c7b6e-a" not in ids(cluster)


def test_cron_job_job_and_pod_fold_up_the_chain():
    labels = {"app": "nightly"}
    job_labels = {**labels, "batch.kubernetes.io/controller-uid": "u1", "batch.kubernetes.io/job-name": "nightly-1",
                  "controller-uid": "u1", "job-name": "nightly-1"}
    objects = [
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": NS},
         "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": template(labels)}}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "nightly-1", "namespace": NS,
                                                              "ownerReferences": [owner_ref("CronJob", "nightly")]},
         "spec": {"template": template(job_labels)}},
        pod("nightly-1-abcde", job_labels, owner_ref("Job", "nightly-1"), "10.244.2.2"),
    ]
    cluster = build_cluster([("d.yaml", o) for o in objects])
    assert ids(cluster) == ["ai/nightly"]
    assert cluster.stands_for["ai/nightly"] == ("ai/nightly-1", "ai/nightly-1-abcde")


def expanded(cluster, flows) -> set:
    group = {owner: {owner, *ids_} for owner, ids_ in cluster.stands_for.items()}
    return {(a, b, p, proto) for s, d, p, proto in flows for a in group.get(s, {s}) for b in group.get(d, {d}) if a != b}


@pytest.mark.parametrize("extra", [
    [],
    [policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})],
    [policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
     policy("by-ip", {"podSelector": {"matchLabels": DB}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.11/32"}}]}]}),
     policy("out", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.244.1.0/24"]}}]}]})],
    [policy("hash", {"podSelector": {"matchLabels": {"pod-template-hash": "5d8f9c7b6e"}}, "policyTypes": ["Egress"]})],
])
def test_folding_changes_no_verdict_between_pods_of_different_owners(extra):
    probes = [(5432, "TCP"), (8080, "TCP")]
    folded = build_cluster(dump(*extra))
    pods = build_cluster(dump(*extra), pod_level=True)
    same_owner = {(a, b) for ids_ in folded.stands_for.values() for a in ids_ for b in ids_}
    same_owner |= {(o, i) for o, ids_ in folded.stands_for.items() for i in ids_}
    same_owner |= {(b, a) for a, b in same_owner}
    pod_flows = {f for f in Analyzer(pods).matrix(probes) if (f[0], f[1]) not in same_owner}
    assert expanded(folded, Analyzer(folded).matrix(probes)) == pod_flows


def test_reach_says_what_each_workload_stands_for_and_pods_lists_them(capsys, tmp_path):
    (tmp_path / "dump.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [o for _, o in dump()]}))
    assert main(["reach", str(tmp_path), "--probe", "5432/TCP"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["allowed"] == [{"from": "ai/db", "to": "ai/web", "port": 5432, "protocol": "TCP"},
                              {"from": "ai/web", "to": "ai/db", "port": 5432, "protocol": "TCP"}]
    assert out["stands_for"]["ai/db"] == ["ai/db-0"]
    assert main(["reach", str(tmp_path), "--probe", "5432/TCP", "--pods"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "stands_for" not in out and {"from": "ai/web-5d8f9c7b6e-a", "to": "ai/db-0", "port": 5432,
                                        "protocol": "TCP"} in out["allowed"]
    assert main(["reach", str(tmp_path), "--probe", "5432/TCP", "--format", "table"]) == 0
    assert "ai/web  (stands for 3)" in capsys.readouterr().out


def test_explain_of_a_folded_pod_names_its_owner(capsys, tmp_path):
    (tmp_path / "dump.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [o for _, o in dump()]}))
    assert main(["explain", str(tmp_path), "--from", "ai/web-5d8f9c7b6e-a", "--to", "ai/db", "--probe", "5432/TCP"]) == 2
    assert "folded into ai/web" in capsys.readouterr().err
    assert main(["explain", str(tmp_path), "--from", "ai/web-5d8f9c7b6e-a", "--to", "ai/db-0", "--probe", "5432/TCP",
                 "--pods"]) == 0


def test_a_cluster_tier_network_holding_a_pod_ip_keeps_that_pod():
    # ClusterNetworkPolicy networks match pod IPs too: that pod cannot be told by its owner's verdicts.
    deny = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": "no-a"},
            "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                     "egress": [{"action": "Deny", "to": [{"networks": ["10.244.0.10/32"]}]}]}}
    cluster = build_cluster(dump(deny))
    assert "ai/web-5d8f9c7b6e-a" in ids(cluster) and "ai/web-5d8f9c7b6e-b" not in ids(cluster)


def test_a_cluster_tier_selector_naming_a_controller_label_keeps_the_pods():
    pinned = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
              "metadata": {"name": "pin"},
              "spec": {"tier": "Admin", "priority": 10,
                       "subject": {"pods": {"namespaceSelector": {},
                                            "podSelector": {"matchLabels": {"controller-revision-hash": "db-7f9"}}}},
                       "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}}
    assert "ai/db-0" in ids(build_cluster(dump(pinned)))


def test_an_ip_block_that_excepts_the_pod_ips_still_folds_them():
    internet = policy("internet", {"podSelector": {"matchLabels": DB}, "policyTypes": ["Ingress"], "ingress": [
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}, {"ipBlock": {"cidr": "10.244.0.11/32"}}]}]})
    cluster = build_cluster(dump(internet))
    assert "ai/web-5d8f9c7b6e-a" not in ids(cluster) and "ai/web-5d8f9c7b6e-b" in ids(cluster)


def test_a_pod_of_another_service_account_than_its_template_stays():
    # The service account is the pod's mesh identity: a pod running as another one is another peer.
    other = pod("web-sa", {**WEB, "pod-template-hash": "5d8f9c7b6e"}, owner_ref("ReplicaSet", "web-5d8f9c7b6e"),
                "10.244.0.16")
    other["spec"]["serviceAccountName"] = "web-admin"
    assert "ai/web-sa" in ids(build_cluster(dump(other)))


def test_a_mesh_selector_naming_a_controller_label_keeps_the_pods():
    pinned = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
              "metadata": {"name": "pin", "namespace": NS},
              "spec": {"selector": {"matchLabels": {"controller-revision-hash": "db-7f9"}}, "action": "DENY",
                       "rules": [{}]}}
    assert "ai/db-0" in ids(build_cluster(dump(pinned)))
