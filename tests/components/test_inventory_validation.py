"""A bad inventory fails once, listing every problem with its path, and nothing is created."""

from __future__ import annotations

import ipaddress
import runpy
from collections.abc import Callable

import pulumi
import pytest

from components.inventory import InventoryError, format_path, parse_inventory
from stack_harness import ROOT, reference_platform, run_stack_failure, run_under_mocks, stack_config


def _workload(inv: dict, namespace: str, name: str) -> dict:
    return next(w for w in inv["workloads"] if w["namespace"] == namespace and w["name"] == name)


def _index(inv: dict, namespace: str, name: str) -> int:
    return inv["workloads"].index(_workload(inv, namespace, name))


def _set(path: list, value) -> Callable[[dict], None]:
    def mutate(inv: dict) -> None:
        target = inv
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _append(section: str, item: dict) -> Callable[[dict], None]:
    return lambda inv: inv[section].append(item)


def _cidr_entry(cidr: str, **extra) -> dict:
    return {"namespace": "ai-serving", "workload": "llm-server",
            "cidrs": [{"cidr": cidr, "ports": [{"port": 443}], **extra}]}


# (mutation, the message it must produce). Indexes refer to the reference inventory's order.
BAD_INVENTORIES = {
    "unknown role": (_set(["workloads", 0, "role"], "oracle"),
                     "netguard:platform.workloads[0].role: unknown role 'oracle'"),
    "unknown kind": (_set(["workloads", 0, "kind"], "DaemonSet"),
                     "netguard:platform.workloads[0].kind: unknown kind 'DaemonSet'"),
    "cronjob without schedule": (_set(["workloads", 1, "schedule"], None),
                                 "netguard:platform.workloads[1].schedule: a CronJob needs a schedule"),
    "duplicate namespace": (_append("namespaces", {"name": "ai-data", "trustTier": "trusted", "dataClass": "internal"}),
                            "netguard:platform.namespaces[6].name: duplicate namespace 'ai-data' (first declared at namespaces[1])"),
    "duplicate workload in a namespace": (
        _append("workloads", {"name": "chunker", "namespace": "ai-ingest", "role": "preprocessing", "image": "x:1"}),
        "netguard:platform.workloads[9].name: duplicate workload 'chunker' in namespace 'ai-ingest' (first declared at workloads[0])"),
    "duplicate port name": (_set(["workloads", 2, "ports", 1, "name"], "grpc"),
                            "netguard:platform.workloads[2].ports[1].name: duplicate port name 'grpc' (also ports[0])"),
    "workload in an undeclared namespace": (_set(["workloads", 0, "namespace"], "ai-nowhere"),
                                            "netguard:platform.workloads[0].namespace: namespace 'ai-nowhere' is not declared"),
    "bad cidr": (_set(["egress", 0, "cidrs", 0, "cidr"], "203.0.113.0/33"),
                 "netguard:platform.egress[0].cidrs[0].cidr: '203.0.113.0/33' is not a valid CIDR"),
    "cidr with host bits": (_set(["egress", 0, "cidrs", 0, "cidr"], "203.0.113.7/24"),
                            "netguard:platform.egress[0].cidrs[0].cidr: '203.0.113.7/24' is not a valid CIDR"),
    "port out of range": (_set(["workloads", 3, "ports", 0, "port"], 70000),
                          "netguard:platform.workloads[3].ports[0].port: 70000 is not a valid port"),
    "port zero": (_set(["egress", 0, "cidrs", 0, "ports", 0, "port"], 0),
                  "netguard:platform.egress[0].cidrs[0].ports[0].port: 0 is not a valid port"),
    "unknown port name in a flow": (_set(["flows", 0, "ports"], ["grpc", "postgres"]),
                                    "netguard:platform.flows[0].ports[1]: 'postgres' is not a port of ai-data/vector-db"),
    "flow from a missing workload": (_set(["flows", 1, "from"], {"namespace": "ai-ingest", "workload": "ghost"}),
                                     "netguard:platform.flows[1].from: workload ai-ingest/ghost does not exist"),
    "flow to a missing workload": (_set(["flows", 1, "to"], {"namespace": "ai-data", "workload": "ghost"}),
                                   "netguard:platform.flows[1].to: workload ai-data/ghost does not exist"),
    "flow from a role nobody has": (_set(["flows", 0, "from"], {"namespace": "ai-ingest", "role": "gateway"}),
                                    "netguard:platform.flows[0].from.role: no workload in namespace 'ai-ingest' has role 'gateway'"),
    "flow from both a workload and a role": (
        _set(["flows", 0, "from"], {"namespace": "ai-ingest", "workload": "chunker", "role": "preprocessing"}),
        "netguard:platform.flows[0].from: give exactly one of 'workload' or 'role'"),
    "flow without ports": (_set(["flows", 0, "ports"], []),
                           "netguard:platform.flows[0].ports:"),
    "duplicate flow": (lambda inv: inv["flows"].append(dict(inv["flows"][0])),
                       "netguard:platform.flows[8]: duplicate flow ai-ingest/role=preprocessing->ai-data/vector-db"),
    "ipv4 internet without allowInternet": (_append("egress", _cidr_entry("0.0.0.0/0")),
                                            "netguard:platform.egress[2].cidrs[0].cidr: 0.0.0.0/0 opens the whole internet"),
    "ipv6 internet without allowInternet": (_append("egress", _cidr_entry("::/0")),
                                            "netguard:platform.egress[2].cidrs[0].cidr: ::/0 opens the whole internet"),
    "the ipv4 internet in two halves": (
        _append("egress", {"namespace": "ai-serving", "workload": "llm-server", "cidrs": [
            {"cidr": "0.0.0.0/1", "ports": [{"port": 443}]}, {"cidr": "128.0.0.0/1", "ports": [{"port": 80}]}]}),
        "netguard:platform.egress[2].cidrs: cidrs[0], cidrs[1] together open the whole IPv4 internet"),
    # Pieces that cover ::/0 always hold the IPv4-mapped block, so one of them is the error.
    "the ipv6 internet in pieces, even with allowInternet": (
        _append("egress", {"namespace": "ai-serving", "workload": "llm-server", "cidrs": [
            {"cidr": "8000::/1", "ports": [{"port": 443}], "allowInternet": True},
            {"cidr": "::/2", "ports": [{"port": 443}]}, {"cidr": "4000::/2", "ports": [{"port": 443}]}]}),
        "netguard:platform.egress[2].cidrs[1].cidr: '::/2' is an IPv4-mapped IPv6 range or contains one"),
    "ipv4-mapped ipv6 cidr": (_append("egress", _cidr_entry("::ffff:0:0/96")),
                              "netguard:platform.egress[2].cidrs[0].cidr: '::ffff:0:0/96' is an IPv4-mapped IPv6 range"),
    "egress for a missing workload": (_set(["egress", 0, "workload"], "ghost"),
                                      "netguard:platform.egress[0]: workload ai-ingest/ghost does not exist"),
    "unknown top-level key": (_set(["flowz"], []), "netguard:platform.flowz: unknown key"),
    "unknown workload key": (_set(["workloads", 0, "hostNetwork"], True),
                             "netguard:platform.workloads[0].hostNetwork: unknown key"),
    "unknown egress key": (_set(["egress", 0, "cidrs", 0, "except"], ["203.0.113.1/32"]),
                           "netguard:platform.egress[0].cidrs[0].except: unknown key"),
    "namespace name not a DNS label": (_set(["namespaces", 0, "name"], "AI_Ingest"),
                                       "netguard:platform.namespaces[0].name: 'AI_Ingest' is not a DNS-1123 label"),
    "unknown trust tier": (_set(["namespaces", 0, "trustTier"], "semi"),
                           "netguard:platform.namespaces[0].trustTier: unknown trust tier 'semi'"),
    "unknown data class": (_set(["workloads", 0, "dataClass"], "secret"),
                           "netguard:platform.workloads[0].dataClass: unknown data class 'secret'"),
    "unknown protocol": (_set(["workloads", 0, "ports", 0, "protocol"], "ICMP"),
                         "netguard:platform.workloads[0].ports[0].protocol:"),
    "metrics port not declared": (_set(["workloads", 0, "metricsPort"], "prom"),
                                  "netguard:platform.workloads[0].metricsPort: 'prom' is not one of this workload's ports"),
    "reserved namespace label": (_set(["namespaces", 0, "labels", "netguard.io/trust-tier"], "trusted"),
                                 "netguard:platform.namespaces[0].labels.netguard.io/trust-tier: is reserved"),
    "missing image": (lambda inv: inv["workloads"][0].pop("image"),
                      "netguard:platform.workloads[0].image: is required"),
    # Wrong types are errors, never coerced: Pulumi hands structured config over as JSON, so a
    # quoted "80" or "true" in the stack file arrives as a string and means a typo.
    "port given as a string": (_set(["workloads", 0, "ports", 0, "port"], "9090"),
                               "netguard:platform.workloads[0].ports[0].port: must be a whole number (got '9090')"),
    "port given as a boolean": (_set(["workloads", 0, "ports", 0, "port"], True),
                                "netguard:platform.workloads[0].ports[0].port: must be a whole number (got True)"),
    "port given as a float": (_set(["egress", 0, "cidrs", 0, "ports", 0, "port"], 443.0),
                              "netguard:platform.egress[0].cidrs[0].ports[0].port: must be a whole number (got 443.0)"),
    "replicas given as a word": (_set(["workloads", 0, "replicas"], "two"),
                                 "netguard:platform.workloads[0].replicas: must be a whole number (got 'two')"),
    "replicas given as a numeric string": (_set(["workloads", 0, "replicas"], "2"),
                                           "netguard:platform.workloads[0].replicas: must be a whole number (got '2')"),
    "token automount given as a string": (_set(["workloads", 0, "automountServiceAccountToken"], "true"),
                                          "netguard:platform.workloads[0].automountServiceAccountToken: must be true or false (got 'true')"),
    "token automount given as a number": (_set(["workloads", 0, "automountServiceAccountToken"], 1),
                                          "netguard:platform.workloads[0].automountServiceAccountToken: must be true or false (got 1)"),
    "allowInternet given as a string": (_append("egress", _cidr_entry("0.0.0.0/0", allowInternet="yes")),
                                        "netguard:platform.egress[2].cidrs[0].allowInternet: must be true or false (got 'yes')"),
    "lowercase protocol": (_set(["workloads", 0, "ports", 0, "protocol"], "tcp"),
                           "netguard:platform.workloads[0].ports[0].protocol: Input should be 'TCP', 'UDP' or 'SCTP' (got 'tcp')"),
    # Namespaces netguard must not own: default-deny and Pod Security restricted there break the cluster.
    "kube-system declared as an AI namespace": (
        _append("namespaces", {"name": "kube-system", "trustTier": "trusted", "dataClass": "internal"}),
        "netguard:platform.namespaces[6].name: 'kube-system' is a Kubernetes system namespace"),
    "default declared as an AI namespace": (
        _append("namespaces", {"name": "default", "trustTier": "trusted", "dataClass": "internal"}),
        "netguard:platform.namespaces[6].name: 'default' is a Kubernetes system namespace"),
    "kube- prefixed namespace": (
        _set(["namespaces", 0, "name"], "kube-ingest"),
        "netguard:platform.namespaces[0].name: 'kube-ingest' is a Kubernetes system namespace"),
    "dns namespace declared as an AI namespace": (
        lambda inv: inv["platform"]["dns"].__setitem__("namespace", "ai-data"),
        "netguard:platform.platform.dns.namespace: 'ai-data' is an AI namespace (namespaces[1])"),
    "monitoring namespace declared as an AI namespace": (
        _set(["platform", "monitoringNamespace"], "ai-serving"),
        "netguard:platform.platform.monitoringNamespace: 'ai-serving' is an AI namespace (namespaces[3])"),
    "dns pods selected by an empty selector": (
        lambda inv: inv["platform"]["dns"].__setitem__("podLabels", {}),
        "netguard:platform.platform.dns.podLabels: must name the DNS pods' labels"),
    # Values the API server would reject: fail at validation, not halfway through `pulumi up`.
    "cron schedule that is not cron": (_set(["workloads", 1, "schedule"], "every night"),
                                       "netguard:platform.workloads[1].schedule: 'every night' is not a cron schedule"),
    "cron schedule with an hour out of range": (_set(["workloads", 1, "schedule"], "0 24 * * *"),
                                                "netguard:platform.workloads[1].schedule: '0 24 * * *' is not a cron schedule"),
    "cron schedule with a time zone": (_set(["workloads", 1, "schedule"], "TZ=UTC 0 2 * * *"),
                                       "netguard:platform.workloads[1].schedule: 'TZ=UTC 0 2 * * *' is not a cron schedule"),
    "image of blanks": (_set(["workloads", 0, "image"], "   "),
                        "netguard:platform.workloads[0].image: '   ' is not an image reference"),
    "image with surrounding whitespace": (_set(["workloads", 0, "image"], " registry.example.com/ai/chunker:1 "),
                                          "netguard:platform.workloads[0].image: ' registry.example.com/ai/chunker:1 ' is not an image reference"),
    "label key with an invalid prefix": (_set(["namespaces", 0, "labels", "Team_Info/owner"], "x"),
                                         "netguard:platform.namespaces[0].labels: 'Team_Info/owner' is not a valid label key"),
    "label key with two slashes": (_set(["namespaces", 0, "labels", "a.io/b/c"], "x"),
                                   "netguard:platform.namespaces[0].labels: 'a.io/b/c' is not a valid label key"),
    "domain with a label over 63 characters": (
        _append("egress", {"namespace": "ai-serving", "workload": "llm-server",
                           "domains": [{"domain": "a" * 64 + ".example.com", "ports": [{"port": 443}]}]}),
        "netguard:platform.egress[2].domains[0].domain: '" + "a" * 64 + ".example.com' is not a valid domain name"),
    "egress entry that allows nothing": (
        _append("egress", {"namespace": "ai-serving", "workload": "llm-server"}),
        "netguard:platform.egress[2]: declares neither cidrs nor domains"),
    "flow ports as a bare string": (_set(["flows", 0, "ports"], "grpc"),
                                    "netguard:platform.flows[0].ports: must be a list (got 'grpc')"),
    "flow source as a string": (_set(["flows", 0, "from"], "ai-ingest/chunker"),
                                "netguard:platform.flows[0].from: must be a mapping (got 'ai-ingest/chunker')"),
    "port name with consecutive hyphens": (_set(["workloads", 0, "ports", 0, "name"], "prom--metrics"),
                                           "netguard:platform.workloads[0].ports[0].name: 'prom--metrics' is not a valid port name"),
    # Only the documented camelCase keys: a Python field name is not an inventory key.
    "snake_case key for a camelCase field": (
        lambda inv: inv["namespaces"][0].update({"trust_tier": inv["namespaces"][0].pop("trustTier")}),
        "netguard:platform.namespaces[0].trust_tier: unknown key"),
    "'source' instead of 'from' in a flow": (
        lambda inv: inv["flows"][0].update({"source": inv["flows"][0].pop("from")}),
        "netguard:platform.flows[0].source: unknown key"),
    "snake_case token automount": (_set(["workloads", 0, "automount_service_account_token"], True),
                                   "netguard:platform.workloads[0].automount_service_account_token: unknown key"),
    "port listed twice in a flow": (_set(["flows", 0, "ports"], ["grpc", "grpc"]),
                                    "netguard:platform.flows[0].ports[1]: 'grpc' is listed twice (also ports[0])"),
    # `$` matches before a trailing newline; the API server does not accept one.
    "namespace name with a trailing newline": (
        _append("namespaces", {"name": "extra\n", "trustTier": "trusted", "dataClass": "internal"}),
        "netguard:platform.namespaces[6].name: 'extra\\n' is not a DNS-1123 label"),
    "workload name with a trailing newline": (_set(["workloads", 1, "name"], "backfill\n"),
                                              "netguard:platform.workloads[1].name: 'backfill\\n' is not a valid workload name"),
    "port name with a trailing newline": (_set(["workloads", 0, "ports", 0, "name"], "metrics\n"),
                                          "netguard:platform.workloads[0].ports[0].name: 'metrics\\n' is not a valid port name"),
    "label value with a trailing newline": (_set(["namespaces", 0, "labels", "team"], "data-eng\n"),
                                            "netguard:platform.namespaces[0].labels: 'data-eng\\n' is not a valid label value"),
    "domain with a trailing newline": (
        _append("egress", {"namespace": "ai-serving", "workload": "llm-server",
                           "domains": [{"domain": "models.example.com\n", "ports": [{"port": 443}]}]}),
        "netguard:platform.egress[2].domains[0].domain: 'models.example.com\\n' is not a valid domain name"),
    "cron schedule with non-ascii digits": (_set(["workloads", 1, "schedule"], "\u00b2 * * * *"),
                                            "netguard:platform.workloads[1].schedule: '\u00b2 * * * *' is not a cron schedule"),
    "ipv6 cidr with a zone": (_set(["egress", 0, "cidrs", 0, "cidr"], "fe80::%eth0/64"),
                              "netguard:platform.egress[0].cidrs[0].cidr: 'fe80::%eth0/64' is not a valid CIDR"),
    "workload named default": (_set(["workloads", 0, "name"], "default"),
                               "netguard:platform.workloads[0].name: 'default' is the name of every namespace's default ServiceAccount"),
    "role in another case": (_set(["workloads", 0, "role"], "Preprocessing"),
                             "netguard:platform.workloads[0].role: unknown role 'Preprocessing'"),
}


@pytest.mark.parametrize("case", sorted(BAD_INVENTORIES))
def test_bad_inventory_fails_with_its_path_and_creates_nothing(case: str):
    mutate, message = BAD_INVENTORIES[case]
    inventory = reference_platform()
    mutate(inventory)

    failure = run_stack_failure(inventory)

    assert isinstance(failure.error, InventoryError)
    assert any(p.startswith(message) for p in failure.error.problems), failure.error.problems
    assert failure.resources == []


def test_reference_inventory_is_valid(reference_inventory):
    inventory = parse_inventory(reference_inventory)
    assert len(inventory.namespaces) == 6 and len(inventory.workloads) == 9


def test_every_problem_is_reported_in_one_error(reference_inventory):
    for mutate, _ in (BAD_INVENTORIES[c] for c in ("unknown role", "port out of range", "flow to a missing workload",
                                                   "ipv4 internet without allowInternet", "unknown top-level key")):
        mutate(reference_inventory)

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert len(caught.value.problems) == 5
    assert str(caught.value).startswith("invalid netguard:platform: 5 problems\n  - netguard:platform.")


def test_a_broken_entry_is_not_reported_again_through_its_references(reference_inventory):
    vector_db = _index(reference_inventory, "ai-data", "vector-db")
    reference_inventory["workloads"][vector_db]["kind"] = "DaemonSet"

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert caught.value.problems == (f"netguard:platform.workloads[{vector_db}].kind: unknown kind 'DaemonSet' "
                                     "(expected one of: CronJob, Deployment, Job, StatefulSet)",)


def test_missing_inventory_is_an_error():
    with pytest.raises(InventoryError, match="netguard:platform: is required"):
        parse_inventory(None)


def test_internet_egress_is_accepted_with_allow_internet(reference_inventory):
    reference_inventory["egress"].append(_cidr_entry("0.0.0.0/0", allowInternet=True))
    assert parse_inventory(reference_inventory).egress[-1].cidrs[0].allow_internet


def test_validated_inventory_is_frozen(reference_inventory):
    inventory = parse_inventory(reference_inventory)
    with pytest.raises(Exception):
        inventory.workloads[0].replicas = 7


def test_workload_data_class_defaults_to_its_namespace(reference_inventory):
    inventory = parse_inventory(reference_inventory)
    chunker = inventory.workload("ai-ingest", "chunker")
    assert chunker.data_class is None and inventory.data_class_of(chunker) == "internal"


@pytest.mark.parametrize("loc, path", [
    (("workloads", 3, "ports", 0, "port"), "workloads[3].ports[0].port"),
    (("flows", 0, "from", "role"), "flows[0].from.role"),
    (("surprise",), "surprise"),
    ((), ""),
])
def test_pydantic_locations_become_config_paths(loc, path):
    assert format_path(loc) == path


def test_main_turns_a_bad_inventory_into_a_clean_pulumi_error(reference_inventory):
    reference_inventory["workloads"][3]["ports"][0]["port"] = 70000

    def main() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    with pytest.raises(pulumi.RunError) as caught:
        run_under_mocks(main, stack_config(reference_inventory))

    assert "netguard:platform.workloads[3].ports[0].port: 70000 is not a valid port" in str(caught.value)
    assert caught.value.__suppress_context__ and caught.value.__cause__ is None  # no chained traceback


@pytest.mark.parametrize("text, message", [
    ("hello", "netguard:platform: must be a mapping with namespaces, workloads, flows and egress (got the string 'hello')"),
    ("", "netguard:platform: is required"),          # `netguard:platform: null` or an empty value in the stack file
    ("null", "netguard:platform: is required"),
    ("[1, 2]", "netguard:platform: must be a mapping with namespaces, workloads, flows and egress (got list)"),
])
def test_platform_config_that_is_not_an_inventory_is_one_clean_error(text: str, message: str):
    from components.program import run_program

    with pytest.raises(InventoryError) as caught:
        run_under_mocks(run_program, {"netguard:platform": text})

    assert caught.value.problems == (message,) or caught.value.problems[0].startswith(message)


@pytest.mark.parametrize("inventory", [{}, {"namespaces": []}, {"namespaces": [], "workloads": []}])
def test_an_inventory_without_namespaces_is_an_error(inventory: dict):
    failure = run_stack_failure(inventory)

    assert isinstance(failure.error, InventoryError)
    assert failure.error.problems == ("netguard:platform.namespaces: declare at least one namespace",)
    assert failure.resources == []


def test_a_system_namespace_that_is_also_the_dns_namespace_is_reported_once(reference_inventory):
    reference_inventory["namespaces"].append({"name": "kube-system", "trustTier": "trusted", "dataClass": "internal"})

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert len(caught.value.problems) == 1, caught.value.problems


def test_a_plain_address_is_a_single_host_cidr(reference_inventory):
    reference_inventory["egress"].append(_cidr_entry("203.0.113.9"))
    assert parse_inventory(reference_inventory).egress[-1].cidrs[0].cidr == "203.0.113.9/32"


def test_halves_of_the_internet_beside_allow_internet_are_still_an_error(reference_inventory):
    # 0.0.0.0/0 with allowInternet keeps private ranges out; the halves would bring them back.
    reference_inventory["egress"].append({"namespace": "ai-serving", "workload": "llm-server", "cidrs": [
        {"cidr": "0.0.0.0/0", "ports": [{"port": 443}], "allowInternet": True},
        {"cidr": "0.0.0.0/1", "ports": [{"port": 443}]}, {"cidr": "128.0.0.0/1", "ports": [{"port": 443}]}]})

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert caught.value.problems == ("netguard:platform.egress[2].cidrs: cidrs[1], cidrs[2] together open the whole IPv4 "
                                     "internet; declare 0.0.0.0/0 with allowInternet: true instead (it keeps private "
                                     "and link-local ranges out)",)


@pytest.mark.parametrize("schedule", ["0 2 * * *", "*/15 * * * *", "0 0 1,15 * mon-fri", "30 4 ? JAN-MAR SUN", "@daily", "@hourly"])
def test_cron_schedules_the_api_server_accepts_are_valid(reference_inventory, schedule: str):
    reference_inventory["workloads"][1]["schedule"] = schedule
    assert parse_inventory(reference_inventory).workloads[1].schedule == schedule


@pytest.mark.parametrize("section, references", [
    ("namespaces", "every workload's namespace"),
    ("workloads", "every flow's and egress entry's workload"),
])
def test_a_section_that_is_not_a_list_is_one_problem_not_one_per_reference(reference_inventory, section, references):
    reference_inventory[section] = {"oops": 1}

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert caught.value.problems == (f"netguard:platform.{section}: must be a list (got {{'oops': 1}})",), references


@pytest.mark.parametrize("name, problem", [
    (None, "must be a string (got None)"),
    ("Chunker", "'Chunker' is not a valid workload name"),
])
def test_references_to_a_workload_whose_name_is_broken_are_not_reported(reference_inventory, name, problem):
    reference_inventory["workloads"][0]["name"] = name   # chunker, which a flow and an egress entry name

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(f"netguard:platform.workloads[0].name: {problem}")


def test_a_bad_entry_in_a_list_with_a_minimum_is_reported_once(reference_inventory):
    reference_inventory["egress"][0]["cidrs"][0]["ports"][0]["protocol"] = "udp"

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert caught.value.problems == ("netguard:platform.egress[0].cidrs[0].ports[0].protocol: "
                                     "Input should be 'TCP', 'UDP' or 'SCTP' (got 'udp')",)


def _public_ipv4_blocks() -> list[str]:
    """Every IPv4 address outside the private, loopback, link-local and multicast ranges, as blocks."""
    public = [ipaddress.ip_network("0.0.0.0/0")]
    for private in ("10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                    "192.168.0.0/16", "224.0.0.0/3"):
        hole = ipaddress.ip_network(private)
        public = [part for block in public for part in (block.address_exclude(hole) if hole.subnet_of(block) else [block])]
    return [str(block) for block in sorted(public)]


def test_the_public_internet_spelt_out_block_by_block_needs_allow_internet(reference_inventory):
    blocks = _public_ipv4_blocks()
    reference_inventory["egress"].append({"namespace": "ai-serving", "workload": "llm-server",
                                          "cidrs": [{"cidr": b, "ports": [{"port": 443}]} for b in blocks]})

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("netguard:platform.egress[2].cidrs: cidrs[0], cidrs[1], ")
    assert "together open the whole IPv4 internet" in caught.value.problems[0]


def test_most_of_the_internet_is_not_the_whole_internet(reference_inventory):
    blocks = _public_ipv4_blocks()[1:]   # without 0.0.0.0/5
    reference_inventory["egress"].append({"namespace": "ai-serving", "workload": "llm-server",
                                          "cidrs": [{"cidr": b, "ports": [{"port": 443}]} for b in blocks]})

    assert len(parse_inventory(reference_inventory).egress[-1].cidrs) == len(blocks)


@pytest.mark.parametrize("mutate", [
    _set(["namespaces", 0, "name"], "a" * 5000),
    _set(["workloads", 0, "name"], "w" * 5000),
    _set(["namespaces", 0, "labels", "team"], "t" * 5000),
    _set(["workloads", 0, "ports"], "p" * 5000),
    _set(["workloads", 0, "image"], " " + "i" * 5000),
])
def test_a_huge_value_is_shortened_in_the_error(reference_inventory, mutate):
    mutate(reference_inventory)

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert all(len(p) < 400 for p in caught.value.problems), caught.value.problems
    assert "(5000 characters)" in str(caught.value) or "(5001 characters)" in str(caught.value)


def test_an_empty_list_entry_does_not_hide_other_problems(reference_inventory):
    reference_inventory["namespaces"].append(None)    # a stray "-" in the YAML
    reference_inventory["workloads"].append(None)
    reference_inventory["workloads"][1]["namespace"] = "ai-nowhere"   # embed-backfill: nothing refers to it
    reference_inventory["flows"][1]["to"]["workload"] = "ghost"

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert caught.value.problems == (
        "netguard:platform.namespaces[6]: must be a mapping (got None)",
        "netguard:platform.workloads[9]: must be a mapping (got None)",
        "netguard:platform.workloads[1].namespace: namespace 'ai-nowhere' is not declared in namespaces",
        "netguard:platform.flows[1].to: workload ai-data/ghost does not exist",
    )


def test_a_monitoring_namespace_that_is_an_ai_namespace_is_reported_beside_other_platform_problems(reference_inventory):
    reference_inventory["platform"]["monitoringNamespace"] = "ai-serving"
    reference_inventory["platform"]["dns"]["podLabels"] = {}

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert [p.split(":")[1] for p in caught.value.problems] == ["platform.platform.dns.podLabels",
                                                                 "platform.platform.monitoringNamespace"]


def test_a_workload_with_a_bad_field_still_gets_its_other_checks(reference_inventory):
    backfill = reference_inventory["workloads"][1]           # the CronJob embed-backfill
    backfill["schedule"] = None
    backfill["image"] = " "
    backfill["namespace"] = "ai-nowhere"
    backfill["ports"] = [{"name": "metrics", "port": 70000}, {"name": "metrics", "port": 9090}]
    backfill["metricsPort"] = "prom"

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert [p.split(": ")[0] for p in caught.value.problems] == [
        "netguard:platform.workloads[1].image",
        "netguard:platform.workloads[1].ports[0].port",
        "netguard:platform.workloads[1].namespace",
        "netguard:platform.workloads[1].schedule",
        "netguard:platform.workloads[1].ports[1].name",
        "netguard:platform.workloads[1].metricsPort",
    ], caught.value.problems


def test_a_field_that_failed_is_not_checked_again_against_the_others(reference_inventory):
    chunker = reference_inventory["workloads"][0]
    chunker["kind"] = "Cronjob"                  # unknown kind: whether it needs a schedule is moot
    chunker["ports"][0]["name"] = "Metrics"      # invalid port name: metricsPort cannot be checked against it

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert [p.split(": ")[0] for p in caught.value.problems] == [
        "netguard:platform.workloads[0].kind", "netguard:platform.workloads[0].ports[0].name"]


def test_a_flow_or_egress_entry_with_a_bad_field_still_has_its_references_checked(reference_inventory):
    reference_inventory["flows"][1]["to"]["workload"] = "ghost"
    reference_inventory["flows"][1]["extra"] = True
    reference_inventory["flows"][2]["ports"] = ["grpc", "Bad"]
    reference_inventory["flows"][2]["from"]["workload"] = "ghost"
    reference_inventory["egress"][0]["workload"] = "ghost"
    reference_inventory["egress"][0]["cidrs"][0]["ports"][0]["port"] = 0

    with pytest.raises(InventoryError) as caught:
        parse_inventory(reference_inventory)

    assert [p.split(": ")[0] for p in caught.value.problems] == [
        "netguard:platform.flows[1].extra",
        "netguard:platform.flows[2].ports[1]",
        "netguard:platform.egress[0].cidrs[0].ports[0].port",
        "netguard:platform.flows[1].to",
        "netguard:platform.flows[2].from",
        "netguard:platform.egress[0]",
    ], caught.value.problems
