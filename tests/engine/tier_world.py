"""The conformance world (four houses, two pods each) and the tier tables' notation, for both API versions.

``render(policy, api)`` writes a policy of the tables (tier_conformance/*.yaml) as a
ClusterNetworkPolicy (``"v1alpha2"``) or as an AdminNetworkPolicy / BaselineAdminNetworkPolicy
(``"v1alpha1"``): the same scenario must give the same verdicts under both.
"""

from __future__ import annotations

import copy
import shlex

HOUSES = {"gryffindor": "harry-potter", "slytherin": "draco-malfoy", "hufflepuff": "cedric-diggory", "ravenclaw": "luna-lovegood"}
PREFIX = "network-policy-conformance-"
NAME_LABEL = "kubernetes.io/metadata.name"
HOUSE = "conformance-house"


def pod_ip(house: str, replica: int) -> str:
    return f"10.{list(HOUSES).index(house) + 1}.0.{10 + replica}"


def endpoint(short: str) -> str:
    """``gryffindor/harry-potter-0`` -> the endpoint id in the world."""
    house, pod = short.split("/")
    return f"{PREFIX}{house}/{pod}"


def world() -> list[dict]:
    objects: list[dict] = []
    for house, person in HOUSES.items():
        objects.append({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": PREFIX + house, "labels": {HOUSE: house}}})
        for replica in (0, 1):
            objects.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{person}-{replica}", "namespace": PREFIX + house, "labels": {HOUSE: house}},
                "spec": {"containers": [{"name": "server", "ports": [
                    {"containerPort": 80, "protocol": "TCP", "name": "web"},
                    {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                ]}]},
                "status": {"podIP": pod_ip(house, replica)},
            })
    return objects


def _selector(kind: str, house: str) -> dict:
    if kind == "ns":
        return {"matchLabels": {NAME_LABEL: PREFIX + house}}
    return {"matchLabels": {HOUSE: house}}


def subject(text: str) -> dict:
    kind, house = text.split()
    if kind == "pods":
        return {"pods": {"namespaceSelector": _selector("house", house), "podSelector": _selector("house", house)}}
    return {"namespaces": _selector(kind, house)}


def peer(text: str) -> dict:
    kind, _, value = text.strip().partition(" ")
    if kind == "nets":
        return {"networks": value.split(",")}
    if kind == "nodes":
        return {"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}
    return subject(text)


def rule(text: str, direction: str, api: str) -> dict:
    name, _, body = text.partition(": ")
    body, _, ports = body.partition(" @ ")
    action, _, peers = body.partition(" ")
    if api == "v1alpha1" and action == "Accept":
        action = "Allow"
    out = {"name": name, "action": action,
           ("from" if direction == "ingress" else "to"): [peer(p) for p in peers.split("|")]}
    if ports:
        key = "protocols" if api == "v1alpha2" else "ports"
        out[key] = [_port(p, api) for p in ports.split()]
    return out


def _port(text: str, api: str) -> dict:
    protocol, _, number = text.partition("/")
    if protocol == "named":
        return {"destinationNamedPort": number} if api == "v1alpha2" else {"namedPort": number}
    first, _, last = number.partition("-")
    if api == "v1alpha2":
        value = {"range": {"start": int(first), "end": int(last)}} if last else {"number": int(first)}
        return {protocol: {"destinationPort": value}}
    if last:
        return {"portRange": {"protocol": protocol.upper(), "start": int(first), "end": int(last)}}
    return {"portNumber": {"protocol": protocol.upper(), "port": int(first)}}


def render(key: str, policy: dict, api: str) -> dict:
    name = policy.get("name", key)
    spec: dict = {"subject": subject(policy["subject"])}
    for direction in ("ingress", "egress"):
        if policy.get(direction):
            spec[direction] = [rule(r, direction, api) for r in policy[direction]]
    if api == "v1alpha2":
        spec = {"tier": policy["tier"], "priority": policy["priority"], **spec}
        return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                "metadata": {"name": name}, "spec": spec}
    if policy["tier"] == "Admin":
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                "metadata": {"name": name}, "spec": {"priority": policy["priority"], **spec}}
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": "default"}, "spec": spec}


def network_policy(name: str, np: dict) -> dict:
    peers = [{"namespaceSelector": _selector("house", np["from_house"])}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": PREFIX + np["namespace"]},
            "spec": {"podSelector": None, "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": peers}], "egress": [{"to": peers}]}}


def apply_change(policies: dict, network_policies: dict, change: str) -> None:
    """One upstream patch, in the tables' words: swap, action, replace, prepend, priority, delete."""
    words = shlex.split(change)
    op = words[0]
    if op == "delete":
        del network_policies[words[1]]
        return
    policy = policies[words[1]]
    if op == "priority":
        policy["priority"] = int(words[2])
    elif op == "swap":
        rules, i, j = policy[words[2]], int(words[3]), int(words[4])
        rules[i], rules[j] = rules[j], rules[i]
    elif op == "action":
        rules, i = policy[words[2]], int(words[3])
        name, _, body = rules[i].partition(": ")
        rules[i] = f"{name}: {words[4]} {body.partition(' ')[2]}"
    elif op == "replace":
        policy[words[2]][int(words[3])] = words[4]
    elif op == "prepend":
        policy[words[2]].insert(0, words[3])
    else:
        raise ValueError(f"unknown change {change!r}")


def scenario(table: dict, test: dict) -> tuple[dict, dict]:
    """The test's starting policies (deep copies: changes accumulate per test only)."""
    policies, nps = {}, {}
    for key in test["policies"]:
        if key.startswith("networkpolicy "):
            name = key.split()[1]
            nps[name] = copy.deepcopy(table["network_policies"][name])
        else:
            policies[key] = copy.deepcopy(table["policies"][key])
    return policies, nps


def manifests(policies: dict, nps: dict, api: str) -> list[dict]:
    return world() + [render(k, p, api) for k, p in policies.items()] + [network_policy(k, n) for k, n in nps.items()]
