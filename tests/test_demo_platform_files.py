"""The bundled demo platform (examples/demo-platform) is well-formed and self-consistent.

These tests read the files directly (no ekstwin loaders) so that they keep guarding
the demo while the loaders change. They also pin the deliberate mistakes listed in
examples/demo-platform/README.md, so that a later edit cannot silently fix one.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-platform"
SCHEMA = ROOT / "src" / "ekstwin" / "schemas" / "aws.schema.json"

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "StorageClass",
    "IngressClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "Tier",
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "Node",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
WORKLOAD_ACCOUNT = "111122223333"
SHARED_ACCOUNT = "444455556666"
# The EKS add-on registry for eu-west-1 (an AWS-owned account, not part of the demo).
EKS_ADDON_REGISTRY = "602401143452"

DOCUMENTATION_RANGES = (
    ipaddress.IPv4Network("198.18.0.0/15"),
    ipaddress.IPv4Network("203.0.113.0/24"),
)
# Addresses outside the documentation ranges that the demo needs, each for a reason.
ADDRESS_ALLOW_LIST = {
    "0.0.0.0/0": "any address (routes, ipBlocks, endpoint CIDRs)",
    "169.254.169.254": "the EC2 instance metadata service",
    "169.254.169.254/32": "the EC2 instance metadata service",
    "169.254.170.23": "the EKS Pod Identity agent's link-local address",
    "172.20.0.0/16": "the cluster's service CIDR (EKS requires an RFC 1918 range)",
    "172.20.0.10": "the kube-dns ClusterIP inside the service CIDR",
}
IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\w.])")


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted((DEMO / "k8s").rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                if document is None:
                    continue
                if document.get("kind") == "List":
                    found.extend((path, item) for item in document["items"])
                else:
                    found.append((path, document))
    return found


@pytest.fixture(scope="module")
def documents() -> list[tuple[Path, dict[str, Any]]]:
    return _documents()


@pytest.fixture(scope="module")
def objects(documents: list[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [document for _, document in documents]


@pytest.fixture(scope="module")
def aws() -> dict[str, Any]:
    with (DEMO / "aws.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    with (DEMO / "keycloak" / "realm-export.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _account(aws: dict[str, Any], account_id: str) -> dict[str, Any]:
    return next(a for a in aws["accounts"] if a["id"] == account_id)


def _by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def _find(objects: list[dict[str, Any]], kind: str, namespace: str | None, name: str) -> Any:
    for o in objects:
        meta = o["metadata"]
        if o["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
            return o
    raise AssertionError(f"{kind} {namespace}/{name} not in the demo")


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload["kind"] == "CronJob":
        spec: dict[str, Any] = workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    spec = workload["spec"]["template"]["spec"]
    return spec


def _pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    if workload["kind"] == "CronJob":
        labels: dict[str, str] = workload["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
            "labels"
        ]
        return labels
    labels = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def _images(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    result = []
    for workload in objects:
        if workload["kind"] not in WORKLOAD_KINDS:
            continue
        spec = _pod_spec(workload)
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            ref = f"{workload['metadata']['namespace']}/{workload['metadata']['name']}"
            result.append((ref, container["image"]))
    return result


def test_every_document_parses_and_names_itself(
    documents: list[tuple[Path, dict[str, Any]]],
) -> None:
    incomplete = [
        f"{path.relative_to(DEMO)}: {document.get('kind')}"
        for path, document in documents
        if not (
            isinstance(document.get("apiVersion"), str)
            and isinstance(document.get("kind"), str)
            and isinstance(document.get("metadata", {}).get("name"), str)
        )
    ]
    assert incomplete == []


def test_some_files_use_kind_list() -> None:
    lists = []
    for path in sorted((DEMO / "k8s").rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            if any(d and d.get("kind") == "List" for d in yaml.safe_load_all(handle)):
                lists.append(path.relative_to(DEMO).as_posix())
    assert len(lists) >= 3, lists


def test_objects_are_unique(objects: list[dict[str, Any]]) -> None:
    keys = Counter(
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects
    )
    assert [key for key, count in keys.items() if count > 1] == []


def test_namespaced_objects_live_in_declared_namespaces(objects: list[dict[str, Any]]) -> None:
    declared = {o["metadata"]["name"] for o in _by_kind(objects, "Namespace")}
    misplaced = []
    for o in objects:
        namespace = o["metadata"].get("namespace")
        if o["kind"] in CLUSTER_SCOPED_KINDS:
            if namespace is not None:
                misplaced.append(f"{o['kind']} {o['metadata']['name']} has a namespace")
        elif namespace not in declared:
            misplaced.append(f"{o['kind']} {o['metadata']['name']} in {namespace!r}")
    assert misplaced == []


def test_namespace_references_name_declared_namespaces(objects: list[dict[str, Any]]) -> None:
    declared = {o["metadata"]["name"] for o in _by_kind(objects, "Namespace")}
    referenced: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            labels = node.get("matchLabels")
            if isinstance(labels, dict) and "kubernetes.io/metadata.name" in labels:
                referenced.add(labels["kubernetes.io/metadata.name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for o in objects:
        walk(o.get("spec"))
        for subject in o.get("subjects", []):
            if subject["kind"] == "ServiceAccount":
                referenced.add(subject["namespace"])
    assert referenced - declared == set()
    assert {"kube-system", "databases", "payments", "shop-frontend"} <= referenced


def test_platform_meets_the_minimum_size(objects: list[dict[str, Any]]) -> None:
    namespaces = _by_kind(objects, "Namespace")
    workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    kinds = Counter(o["kind"] for o in workloads)
    assert len(namespaces) >= 8
    assert len(workloads) >= 25
    assert set(kinds) == WORKLOAD_KINDS
    assert {
        "shop-frontend",
        "shop-api",
        "payments",
        "orders",
        "databases",
        "istio-system",
        "kube-system",
        "monitoring",
        "dev",
    } <= {n["metadata"]["name"] for n in namespaces}


def test_namespaces_carry_environment_labels(objects: list[dict[str, Any]]) -> None:
    environments = {
        n["metadata"]["name"]: n["metadata"]["labels"]["environment"]
        for n in _by_kind(objects, "Namespace")
    }
    assert environments["dev"] == "dev"
    assert {name for name, env in environments.items() if env != "production"} == {"dev"}


def test_workloads_name_existing_service_accounts(objects: list[dict[str, Any]]) -> None:
    accounts = {
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in _by_kind(objects, "ServiceAccount")
    }
    missing = []
    for workload in objects:
        if workload["kind"] not in WORKLOAD_KINDS:
            continue
        name = _pod_spec(workload).get("serviceAccountName")
        namespace = workload["metadata"]["namespace"]
        if name is None or (namespace, name) not in accounts:
            missing.append(f"{namespace}/{workload['metadata']['name']}: {name}")
    assert missing == []


def test_no_workload_pins_a_node(objects: list[dict[str, Any]]) -> None:
    pinned = [
        o["metadata"]["name"]
        for o in objects
        if o["kind"] in WORKLOAD_KINDS and "nodeName" in _pod_spec(o)
    ]
    assert pinned == []


def test_services_select_workloads_and_ingresses_name_services(
    objects: list[dict[str, Any]],
) -> None:
    workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s
        for s in objects
        if s["kind"] == "Service"
    }
    orphans = []
    for (namespace, name), service in services.items():
        selector = service["spec"].get("selector", {})
        if not any(
            w["metadata"]["namespace"] == namespace and selector.items() <= _pod_labels(w).items()
            for w in workloads
        ):
            orphans.append(f"{namespace}/{name}")
    dangling = []
    for ingress in _by_kind(objects, "Ingress"):
        namespace = ingress["metadata"]["namespace"]
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]["name"]
                if (namespace, backend) not in services:
                    dangling.append(f"{namespace}/{backend}")
    assert orphans == []
    assert dangling == []


def test_named_target_ports_exist_on_the_selected_pods(objects: list[dict[str, Any]]) -> None:
    workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    unresolved = []
    for service in _by_kind(objects, "Service"):
        namespace = service["metadata"]["namespace"]
        selector = service["spec"].get("selector", {})
        port_names = {
            port["name"]
            for w in workloads
            if w["metadata"]["namespace"] == namespace
            and selector.items() <= _pod_labels(w).items()
            for container in _pod_spec(w)["containers"]
            for port in container.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in port_names:
                unresolved.append(f"{namespace}/{service['metadata']['name']}:{target}")
    assert unresolved == []


def test_aws_json_validates_against_the_schema(aws: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip("src/ekstwin/schemas/aws.schema.json does not exist yet")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(aws)
    ]
    assert errors == []


def test_aws_json_holds_the_two_accounts(aws: dict[str, Any]) -> None:
    assert aws["format"] == "ekstwin-aws"
    assert aws["version"] == 1
    assert [(a["id"], a["alias"]) for a in aws["accounts"]] == [
        (WORKLOAD_ACCOUNT, "workload-prod"),
        (SHARED_ACCOUNT, "shared-services"),
    ]


def test_eni_addresses_sit_in_their_subnet_and_are_unique(aws: dict[str, Any]) -> None:
    ec2 = _account(aws, WORKLOAD_ACCOUNT)["ec2"]
    subnets = {s["subnet_id"]: s for s in ec2["subnets"]}
    seen: Counter[str] = Counter()
    outside = []
    for instance in ec2["instances"]:
        for nic in instance["network_interfaces"]:
            network = ipaddress.IPv4Network(subnets[nic["subnet_id"]]["cidr"])
            for address in [nic["primary_ip"], *nic["secondary_ips"]]:
                seen[address] += 1
                host = ipaddress.IPv4Address(address)
                # AWS reserves the first four addresses and the last one of a subnet.
                if not (network.network_address + 4 <= host < network.broadcast_address):
                    outside.append(address)
    assert outside == []
    assert [address for address, count in seen.items() if count > 1] == []


def test_subnet_free_counts_leave_room_for_the_listed_enis(aws: dict[str, Any]) -> None:
    ec2 = _account(aws, WORKLOAD_ACCOUNT)["ec2"]
    listed: Counter[str] = Counter()
    for instance in ec2["instances"]:
        for nic in instance["network_interfaces"]:
            listed[nic["subnet_id"]] += 1 + len(nic["secondary_ips"])
    for subnet in ec2["subnets"]:
        usable = ipaddress.ip_network(subnet["cidr"]).num_addresses - 5
        assert subnet["available_ip_addresses"] <= usable - listed[subnet["subnet_id"]]
    small = next(s for s in ec2["subnets"] if s["cidr"] == "198.18.48.0/26")
    assert small["available_ip_addresses"] == 18


def test_node_names_follow_the_primary_address(aws: dict[str, Any]) -> None:
    instances = _account(aws, WORKLOAD_ACCOUNT)["ec2"]["instances"]
    names = [i["node_name"] for i in instances]
    expected = [
        "ip-"
        + i["network_interfaces"][0]["primary_ip"].replace(".", "-")
        + ".eu-west-1.compute.internal"
        for i in instances
    ]
    assert names == expected
    assert sorted({i["instance_type"] for i in instances}) == [
        "c5.2xlarge",
        "m5.large",
        "m5.xlarge",
        "t3.medium",
    ]


def test_irsa_annotations_name_roles_in_the_workload_account(
    objects: list[dict[str, Any]], aws: dict[str, Any]
) -> None:
    roles = {r["arn"] for r in _account(aws, WORKLOAD_ACCOUNT)["iam"]["roles"]}
    annotated = {
        f"{sa['metadata']['namespace']}/{sa['metadata']['name']}": sa["metadata"]["annotations"][
            "eks.amazonaws.com/role-arn"
        ]
        for sa in _by_kind(objects, "ServiceAccount")
        if "eks.amazonaws.com/role-arn" in sa["metadata"].get("annotations", {})
    }
    assert {sa: arn for sa, arn in annotated.items() if arn not in roles} == {}
    assert len(annotated) >= 8


def test_ecr_images_name_stored_repositories_and_tags(
    objects: list[dict[str, Any]], aws: dict[str, Any]
) -> None:
    repositories = {
        repo["uri"]: repo
        for account in aws["accounts"]
        for repo in account.get("ecr", {}).get("repositories", [])
    }
    unknown = []
    for ref, image in _images(objects):
        if ".dkr.ecr." not in image or image.startswith(EKS_ADDON_REGISTRY):
            continue
        name, _, pinned = image.partition("@")
        uri, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "")
        repo = repositories.get(uri)
        if repo is None:
            unknown.append(f"{ref}: {image}")
            continue
        digests = {i["digest"] for i in repo["images"]}
        tags = {t for i in repo["images"] for t in i["tags"]}
        if (pinned and pinned not in digests) or (tag or "latest") not in tags:
            unknown.append(f"{ref}: {image}")
    assert unknown == []


def test_image_digests_are_well_formed(objects: list[dict[str, Any]]) -> None:
    pinned = [image for _, image in _images(objects) if "@" in image]
    assert pinned
    assert [i for i in pinned if not re.fullmatch(r".+@sha256:[0-9a-f]{64}", i)] == []


def test_realm_export_holds_the_sso_chain(realm: dict[str, Any]) -> None:
    assert realm["realm"] == "platform"
    (github,) = realm["identityProviders"]
    assert (github["alias"], github["providerId"]) == ("github", "github")
    assert github["config"]["clientSecret"].startswith("fake-")
    users = realm["users"]
    assert 4 <= len(users) <= 7
    assert all(u["federatedIdentities"][0]["identityProvider"] == "github" for u in users)
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert set(clients) == {"urn:amazon:webservices", "argocd", "grafana", "eks-kubectl"}
    # mistake 33: kubectl's groups mapper is added to the access token, not the ID token
    (groups,) = clients["eks-kubectl"]["protocolMappers"]
    assert (groups["config"]["id.token.claim"], groups["config"]["access.token.claim"]) == (
        "false",
        "true",
    )
    aws_roles = [r["name"] for r in realm["roles"]["client"]["urn:amazon:webservices"]]
    assert all(
        re.fullmatch(
            r"arn:aws:iam::111122223333:role/[\w/+=,.@-]+,"
            r"arn:aws:iam::111122223333:saml-provider/keycloak",
            role,
        )
        for role in aws_roles
    )
    mappers = {m["protocolMapper"] for m in clients["urn:amazon:webservices"]["protocolMappers"]}
    assert "saml-role-list-mapper" in mappers
    for client_id in ("argocd", "grafana"):
        assert "oidc-group-membership-mapper" in {
            m["protocolMapper"] for m in clients[client_id]["protocolMappers"]
        }


def test_realm_groups_map_to_roles_that_exist(realm: dict[str, Any], aws: dict[str, Any]) -> None:
    roles = {r["arn"]: r for r in _account(aws, WORKLOAD_ACCOUNT)["iam"]["roles"]}

    def flatten(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [g for group in groups for g in [group, *flatten(group["subGroups"])]]

    groups = flatten(realm["groups"])
    paths = {g["path"] for g in groups}
    assert {"/platform/admins", "/teams/payments", "/teams/shop"} <= paths
    assert {p for u in realm["users"] for p in u["groups"]} <= paths
    mapped = {
        g["path"]: value.split(",")[0]
        for g in groups
        for value in g["clientRoles"].get("urn:amazon:webservices", [])
    }
    assert {path: arn for path, arn in mapped.items() if arn not in roles} == {}


def _text_files() -> list[Path]:
    return sorted(
        p for p in DEMO.rglob("*") if p.is_file() and p.suffix in {".yaml", ".json", ".md"}
    )


def test_addresses_stay_in_documentation_ranges() -> None:
    strays = []
    for path in _text_files():
        for match in IPV4.finditer(path.read_text(encoding="utf-8")):
            text = match.group(0)
            try:
                network = ipaddress.IPv4Network(text, strict=False)
            except ValueError:
                continue
            if text in ADDRESS_ALLOW_LIST:
                continue
            if not any(network.subnet_of(r) for r in DOCUMENTATION_RANGES):
                strays.append(f"{path.relative_to(DEMO)}: {text}")
    assert strays == []


def test_hostnames_stay_under_example_domains() -> None:
    hostname = re.compile(r"\b((?:[a-z0-9-]+\.)+(?:com|net|org))\b")
    allowed_suffixes = (
        "example.com",
        "example.net",
        "example.org",
        "amazonaws.com",
        "amazon.com",
        "awsdns-00.com",
        "awsdns-00.net",
        "awsdns-00.org",
        "githubusercontent.com",
        "projectcalico.org",
        "csi.aws.com",
    )
    strays = sorted(
        {
            f"{path.relative_to(DEMO)}: {m.group(1)}"
            for path in _text_files()
            for m in hostname.finditer(path.read_text(encoding="utf-8"))
            if not m.group(1).endswith(allowed_suffixes)
        }
    )
    assert strays == []


# The deliberate mistakes of README.md, pinned so that an edit cannot quietly fix one.


def test_mistake_public_endpoint_open_to_the_internet(aws: dict[str, Any]) -> None:
    (cluster,) = _account(aws, WORKLOAD_ACCOUNT)["eks"]["clusters"]
    assert cluster["endpoint"] == {
        "public_access": True,
        "private_access": True,
        "public_access_cidrs": ["0.0.0.0/0"],
    }
    assert cluster["encryption_config"][0]["key_arn"].endswith(
        "key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )


def test_mistake_batch_nodes_route_through_the_internet_gateway(aws: dict[str, Any]) -> None:
    ec2 = _account(aws, WORKLOAD_ACCOUNT)["ec2"]
    igw = ec2["internet_gateways"][0]["internet_gateway_id"]
    internet_routed = {
        subnet
        for table in ec2["route_tables"]
        for route in table["routes"]
        if route["destination"] == "0.0.0.0/0" and route["gateway_id"] == igw
        for subnet in table["subnet_ids"]
    }
    node_subnets = {i["subnet_id"]: i["node_group"] for i in ec2["instances"]}
    assert {node_subnets[s] for s in internet_routed if s in node_subnets} == {"batch"}


def test_mistake_imds_options_differ_between_node_groups(aws: dict[str, Any]) -> None:
    options = {
        i["node_group"]: (
            i["metadata_options"]["http_tokens"],
            i["metadata_options"]["http_put_response_hop_limit"],
        )
        for i in _account(aws, WORKLOAD_ACCOUNT)["ec2"]["instances"]
    }
    assert options == {
        "system": ("required", 1),
        "general": ("optional", 2),
        "compute": ("required", 2),
        "batch": ("required", 1),
    }


def test_mistake_plaintext_secret_is_committed(objects: list[dict[str, Any]]) -> None:
    secret = _find(objects, "Secret", "payments", "payments-db-credentials")
    assert secret["data"]["password"] == "bm90LWEtcmVhbC1wYXNzd29yZA=="


def test_mistake_irsa_trust_names_the_wrong_namespace(aws: dict[str, Any]) -> None:
    role = next(
        r for r in _account(aws, WORKLOAD_ACCOUNT)["iam"]["roles"] if r["name"] == "payments-ledger"
    )
    (statement,) = role["trust_policy"]["Statement"]
    subjects = [
        value
        for key, value in statement["Condition"]["StringEquals"].items()
        if key.endswith(":sub")
    ]
    assert subjects == ["system:serviceaccount:payment:ledger-writer"]


def test_mistake_aws_auth_maps_a_role_arn_with_a_path(objects: list[dict[str, Any]]) -> None:
    aws_auth = _find(objects, "ConfigMap", "kube-system", "aws-auth")
    role_arns = [entry["rolearn"] for entry in yaml.safe_load(aws_auth["data"]["mapRoles"])]
    assert [arn for arn in role_arns if arn.count("/") > 1] == [
        "arn:aws:iam::111122223333:role/sso/team-orders-developer"
    ]


def test_mistake_cross_account_pull_is_not_allowed(aws: dict[str, Any]) -> None:
    repos = {r["name"]: r for r in _account(aws, SHARED_ACCOUNT)["ecr"]["repositories"]}
    principals = {
        name: [s["Principal"]["AWS"] for s in repo["policy"]["Statement"]]
        for name, repo in repos.items()
    }
    assert principals == {
        "shop/storefront": ["arn:aws:iam::111122223333:role/platform-prod-node"],
        "shop/recommendations": ["arn:aws:iam::111122223333:root"],
        "ml/fraud-scorer": ["arn:aws:iam::555566667777:root"],
    }
    assert {n: r["tag_mutability"] for n, r in repos.items()} == {
        "shop/storefront": "IMMUTABLE",
        "shop/recommendations": "MUTABLE",
        "ml/fraud-scorer": "MUTABLE",
    }


def test_mistake_storage_classes(objects: list[dict[str, Any]]) -> None:
    classes = {
        c["metadata"]["name"]: (c["provisioner"], c["volumeBindingMode"], c["reclaimPolicy"])
        for c in _by_kind(objects, "StorageClass")
    }
    assert classes == {
        "gp3-encrypted": ("ebs.csi.aws.com", "WaitForFirstConsumer", "Retain"),
        "gp2-immediate": ("ebs.csi.aws.com", "Immediate", "Delete"),
        "efs-shared": ("efs.csi.aws.com", "Immediate", "Retain"),
    }
    postgres = _find(objects, "StatefulSet", "databases", "postgres-payments")
    assert postgres["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == (
        "gp2-immediate"
    )
    archive = _find(objects, "PersistentVolumeClaim", "orders", "invoice-archive")
    assert (archive["spec"]["accessModes"], archive["spec"]["storageClassName"]) == (
        ["ReadWriteMany"],
        "gp3-encrypted",
    )


def test_mistake_dev_egress_default_deny_forgets_dns(objects: list[dict[str, Any]]) -> None:
    dev_policies = [
        p for p in _by_kind(objects, "NetworkPolicy") if p["metadata"]["namespace"] == "dev"
    ]
    ports = [
        (port.get("protocol", "TCP"), port["port"])
        for policy in dev_policies
        for rule in policy["spec"].get("egress", [])
        for port in rule.get("ports", [])
    ]
    assert ports == [("TCP", 8080), ("TCP", 15012)]


def test_mistake_permissive_peer_authentication_in_production(
    objects: list[dict[str, Any]],
) -> None:
    modes = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"]["mtls"]["mode"]
        for p in _by_kind(objects, "PeerAuthentication")
    }
    assert modes == {
        ("istio-system", "default"): "STRICT",
        ("orders", "default"): "PERMISSIVE",
        ("shop-frontend", "alb-targets"): "STRICT",
        ("shop-api", "alb-targets"): "STRICT",
        ("payments", "alb-targets"): "STRICT",
    }


def test_mistake_ingress_groups(objects: list[dict[str, Any]]) -> None:
    groups = {
        f"{i['metadata']['namespace']}/{i['metadata']['name']}": (
            i["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"],
            i["metadata"]["annotations"].get("alb.ingress.kubernetes.io/listen-ports"),
            i["metadata"]["annotations"].get("alb.ingress.kubernetes.io/load-balancer-attributes"),
        )
        for i in _by_kind(objects, "Ingress")
    }
    assert groups == {
        "shop-frontend/storefront": ("shop", '[{"HTTP": 80}, {"HTTPS": 443}]', None),
        "shop-api/shop-api": ("shop", '[{"HTTPS": 443}]', None),
        "payments/payments-webhooks": ("shop", '[{"HTTPS": 443}]', None),
        "orders/orders-api": ("shop", None, None),
        "monitoring/grafana": (
            "platform-internal",
            '[{"HTTPS": 443}]',
            "idle_timeout.timeout_seconds=60",
        ),
        "argocd/argocd-server": (
            "platform-internal",
            '[{"HTTPS": 443}]',
            "idle_timeout.timeout_seconds=300",
        ),
    }


def test_mistake_keycloak_group_maps_to_an_untrusted_role(
    realm: dict[str, Any], aws: dict[str, Any]
) -> None:
    role = next(
        r
        for r in _account(aws, WORKLOAD_ACCOUNT)["iam"]["roles"]
        if r["name"] == "team-data-analyst"
    )
    providers = {p["arn"] for p in _account(aws, WORKLOAD_ACCOUNT)["iam"]["saml_providers"]}
    (statement,) = role["trust_policy"]["Statement"]
    assert statement["Principal"]["Federated"] not in providers
    data = next(
        sub
        for group in realm["groups"]
        for sub in group["subGroups"]
        if sub["path"] == "/teams/data"
    )
    assert data["clientRoles"]["urn:amazon:webservices"] == [
        "arn:aws:iam::111122223333:role/team-data-analyst,"
        "arn:aws:iam::111122223333:saml-provider/keycloak"
    ]


def test_ecr_pull_policy_cases(objects: list[dict[str, Any]]) -> None:
    cases = {}
    for ref, name in [
        ("shop-api/recommendations", "recommendations"),
        ("orders/orders-consumer", "orders-consumer"),
        ("payments/payments-api", "payments-api"),
        ("shop-api/catalog-api", "catalog-api"),
        ("shop-api/cart-api", "cart-api"),
        ("shop-api/search-api", "search-api"),
    ]:
        namespace = ref.split("/")[0]
        (container,) = _pod_spec(_find(objects, "Deployment", namespace, name))["containers"]
        cases[ref] = (container["image"].rsplit("/", 1)[1], container.get("imagePullPolicy"))
    assert cases == {
        "shop-api/recommendations": ("recommendations:1.8.0", "IfNotPresent"),
        "orders/orders-consumer": ("orders-consumer:2.21.0", None),
        "payments/payments-api": (
            "payments-api:4.7.2@sha256:"
            "4806365467b727519e29a27a8c5871c87a6465e425b24f1d1f5be778b748e22d",
            "IfNotPresent",
        ),
        "shop-api/catalog-api": ("catalog-api:5.3.0", "IfNotPresent"),
        "shop-api/cart-api": ("cart-api:3.9.1", "Always"),
        "shop-api/search-api": ("search-api:latest", None),
    }


def test_readme_numbers_every_mistake_and_names_the_foundation_checks(
    objects: list[dict[str, Any]],
) -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    mistakes = readme.split("## Deliberate mistakes", 1)[1].split("\n## ", 1)[0]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", mistakes, flags=re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 25
    for check in ("EKS001", "EKS002", "SEC001", "ECR001", "ECR002", "KMS001"):
        assert check in readme
    workloads = sum(1 for o in objects if o["kind"] in WORKLOAD_KINDS)
    assert f"There are {workloads} workloads" in readme
