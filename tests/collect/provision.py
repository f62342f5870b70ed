"""Provision an aws.json account into a moto server with boto3 (test helper).

``provision(session, endpoint, account)`` creates what moto can hold and
returns an :class:`IdMap` from the ids written in the aws.json to the ids moto
gave out (VPC, subnet, gateway, instance, key ids are chosen by AWS), and the
parts it could not create (``skipped``), so tests can compare like with like.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IdMap:
    ids: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def to_written(self, text: str) -> str:
        """Replace every moto id in ``text`` with the id the aws.json wrote."""
        for written, given in sorted(self.ids.items(), key=lambda kv: -len(kv[1])):
            text = text.replace(given, written)
        return text


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def provision(session: Any, endpoint: str, account: dict[str, Any]) -> IdMap:
    ids = IdMap()
    region = "eu-west-1"

    def client(name: str) -> Any:
        return session.client(name, region_name=region, endpoint_url=endpoint)

    _iam(client("iam"), account.get("iam", {}), account, ids)
    _kms(client("kms"), account.get("kms", {}), ids)
    _ec2(client("ec2"), account.get("ec2", {}), region, ids)
    _ecr(client("ecr"), account.get("ecr", {}), ids)
    _route53(client("route53"), account.get("route53", {}), ids)
    _eks(client("eks"), account.get("eks", {}), ids)
    _elbv2(client("elbv2"), client("acm"), account.get("elbv2", {}), ids)
    return ids


def _iam(iam: Any, section: dict[str, Any], account: dict[str, Any], ids: IdMap) -> None:
    for policy in section.get("policies", []):
        iam.create_policy(
            PolicyName=policy["name"],
            Path=policy.get("path", "/"),
            PolicyDocument=json.dumps(policy["document"]),
        )
    for role in section.get("roles", []):
        iam.create_role(
            RoleName=role["name"],
            Path=role.get("path", "/"),
            AssumeRolePolicyDocument=json.dumps(role["trust_policy"]),
            MaxSessionDuration=role.get("max_session_duration", 3600),
            Tags=_tags(role.get("tags", {})),
            **(
                {"PermissionsBoundary": role["permissions_boundary_arn"]}
                if role.get("permissions_boundary_arn")
                else {}
            ),
        )
        for name, document in role.get("inline_policies", {}).items():
            iam.put_role_policy(
                RoleName=role["name"], PolicyName=name, PolicyDocument=json.dumps(document)
            )
        for arn in role.get("attached_policy_arns", []):
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
    # instance profiles for the roles instances use
    for instance in account.get("ec2", {}).get("instances", []):
        role_arn = instance.get("instance_profile_role_arn")
        if not role_arn:
            continue
        name = role_arn.rsplit("/", 1)[-1]
        try:
            iam.create_instance_profile(InstanceProfileName=name)
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        except iam.exceptions.EntityAlreadyExistsException:
            pass
    for provider in section.get("oidc_providers", []):
        iam.create_open_id_connect_provider(
            Url="https://" + provider["url"],
            ClientIDList=provider.get("client_ids", []),
            ThumbprintList=provider.get("thumbprints", []),
        )
    for provider in section.get("saml_providers", []):
        iam.create_saml_provider(
            Name=provider["name"], SAMLMetadataDocument="<EntityDescriptor/>" * 100
        )


def _kms(kms: Any, section: dict[str, Any], ids: IdMap) -> None:
    for key in section.get("keys", []):
        if key.get("key_manager") == "AWS":
            ids.skipped.append(f"kms key {key['key_id']}: AWS managed keys cannot be created")
            continue
        made = kms.create_key(
            Description=key.get("description", ""),
            KeySpec=key.get("key_spec", "SYMMETRIC_DEFAULT"),
            KeyUsage=key.get("key_usage", "ENCRYPT_DECRYPT"),
            **({"Policy": json.dumps(key["policy"])} if key.get("policy") else {}),
        )["KeyMetadata"]
        ids.ids[key["key_id"]] = made["KeyId"]
        if key.get("rotation_enabled"):
            kms.enable_key_rotation(KeyId=made["KeyId"])
        for alias in key.get("aliases", []):
            kms.create_alias(AliasName=alias, TargetKeyId=made["KeyId"])
        if key.get("key_state") == "Disabled":
            kms.disable_key(KeyId=made["KeyId"])


def _ec2(ec2: Any, section: dict[str, Any], region: str, ids: IdMap) -> None:
    for vpc in section.get("vpcs", []):
        blocks = vpc.get("cidr_blocks", [])
        made = ec2.create_vpc(
            CidrBlock=blocks[0],
            TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(vpc.get("tags", {}))}]
            if vpc.get("tags")
            else [],
        )["Vpc"]
        ids.ids[vpc["vpc_id"]] = made["VpcId"]
        for extra in blocks[1:]:
            ec2.associate_vpc_cidr_block(VpcId=made["VpcId"], CidrBlock=extra)
    for subnet in section.get("subnets", []):
        made = ec2.create_subnet(
            VpcId=ids.ids[subnet["vpc_id"]],
            CidrBlock=subnet["cidr"],
            AvailabilityZone=subnet["availability_zone"],
            TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(subnet.get("tags", {}))}]
            if subnet.get("tags")
            else [],
        )["Subnet"]
        ids.ids[subnet["subnet_id"]] = made["SubnetId"]
        if subnet.get("map_public_ip_on_launch"):
            ec2.modify_subnet_attribute(
                SubnetId=made["SubnetId"], MapPublicIpOnLaunch={"Value": True}
            )
    for igw in section.get("internet_gateways", []):
        made = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ids.ids[igw["internet_gateway_id"]] = made
        if igw.get("vpc_id"):
            ec2.attach_internet_gateway(InternetGatewayId=made, VpcId=ids.ids[igw["vpc_id"]])
    for nat in section.get("nat_gateways", []):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        made = ec2.create_nat_gateway(
            SubnetId=ids.ids[nat["subnet_id"]],
            AllocationId=allocation,
            ConnectivityType=nat.get("connectivity_type", "public"),
        )["NatGateway"]
        ids.ids[nat["nat_gateway_id"]] = made["NatGatewayId"]
        address = made.get("NatGatewayAddresses", [{}])[0]
        for written, given in (
            (nat.get("public_ip"), address.get("PublicIp")),
            (nat.get("private_ip"), address.get("PrivateIp")),
        ):
            if written and given:
                ids.ids[written] = given
    mains = {
        t["VpcId"]: t["RouteTableId"]
        for t in ec2.describe_route_tables()["RouteTables"]
        if any(a.get("Main") for a in t.get("Associations", []))
    }
    for table in section.get("route_tables", []):
        vpc_id = ids.ids[table["vpc_id"]]
        if table.get("main"):
            table_id = mains[vpc_id]
        else:
            table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ids.ids[table["route_table_id"]] = table_id
        for subnet_id in table.get("subnet_ids", []):
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=ids.ids[subnet_id])
        for route in table.get("routes", []):
            target = route.get("gateway_id")
            if target in (None, "local"):
                continue
            if _not_provisioned_route(route):
                ids.skipped.append(f"route to {route['destination']} via {target}: see NETWORK")
                continue
            key = "NatGatewayId" if target.startswith("nat-") else "GatewayId"
            ec2.create_route(
                RouteTableId=table_id,
                DestinationCidrBlock=route["destination"],
                **{key: ids.ids.get(target, target)},
            )
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for instance in section.get("instances", []):
        tags = dict(instance.get("tags", {}))
        if instance.get("cluster"):
            tags.setdefault("eks:cluster-name", instance["cluster"])
        if instance.get("node_group"):
            tags.setdefault("eks:nodegroup-name", instance["node_group"])
        meta = instance.get("metadata_options", {})
        kwargs: dict[str, Any] = {
            "ImageId": image,
            "MinCount": 1,
            "MaxCount": 1,
            "InstanceType": instance["instance_type"],
            "SubnetId": ids.ids[instance["subnet_id"]],
            "MetadataOptions": {
                "HttpTokens": meta.get("http_tokens", "optional"),
                "HttpPutResponseHopLimit": meta.get("http_put_response_hop_limit", 1),
                "HttpEndpoint": meta.get("http_endpoint", "enabled"),
            },
        }
        if instance.get("private_ip"):
            kwargs["PrivateIpAddress"] = instance["private_ip"]
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": _tags(tags)}]
        if instance.get("instance_profile_role_arn"):
            kwargs["IamInstanceProfile"] = {
                "Name": instance["instance_profile_role_arn"].rsplit("/", 1)[-1]
            }
        made = ec2.run_instances(**kwargs)["Instances"][0]
        ids.ids[instance["instance_id"]] = made["InstanceId"]
        primary = made["NetworkInterfaces"][0]["NetworkInterfaceId"]
        for eni in instance.get("network_interfaces", []):
            prefixes = [{"Ipv4Prefix": p} for p in eni.get("prefixes", [])]
            if eni.get("device_index", 0) == 0:
                ids.ids[eni["eni_id"]] = primary
                if eni.get("secondary_ips"):
                    ec2.assign_private_ip_addresses(
                        NetworkInterfaceId=primary, PrivateIpAddresses=eni["secondary_ips"]
                    )
                if prefixes:
                    ids.skipped.append(f"{eni['eni_id']}: /28 prefixes")
                continue
            created = ec2.create_network_interface(
                SubnetId=ids.ids[eni.get("subnet_id") or instance["subnet_id"]],
                PrivateIpAddress=eni["primary_ip"],
                **(
                    {
                        "PrivateIpAddresses": [
                            {"PrivateIpAddress": eni["primary_ip"], "Primary": True},
                            *(
                                {"PrivateIpAddress": ip, "Primary": False}
                                for ip in eni["secondary_ips"]
                            ),
                        ]
                    }
                    if eni.get("secondary_ips")
                    else {}
                ),
            )["NetworkInterface"]["NetworkInterfaceId"]
            ids.ids[eni["eni_id"]] = created
            ec2.attach_network_interface(
                NetworkInterfaceId=created,
                InstanceId=made["InstanceId"],
                DeviceIndex=eni["device_index"],
            )


def _manifest(digest: str) -> str:
    """An image manifest whose content is fixed by the written digest."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": digest, "size": 1, "mediaType": "application/json"},
            "layers": [{"digest": digest, "size": 1, "mediaType": "application/octet-stream"}],
        }
    )


def _ecr(ecr: Any, section: dict[str, Any], ids: IdMap) -> None:
    for repo in section.get("repositories", []):
        encryption = repo.get("encryption", {"type": "AES256"})
        ecr.create_repository(
            repositoryName=repo["name"],
            imageTagMutability=repo.get("tag_mutability", "MUTABLE"),
            imageScanningConfiguration={"scanOnPush": repo.get("scan_on_push", False)},
            encryptionConfiguration={
                "encryptionType": encryption.get("type", "AES256"),
                **({"kmsKey": encryption["kms_key"]} if encryption.get("kms_key") else {}),
            },
        )
        if repo.get("policy"):
            ecr.set_repository_policy(
                repositoryName=repo["name"], policyText=json.dumps(repo["policy"])
            )
        for image in repo.get("images", []):
            manifest = _manifest(image["digest"])
            for tag in image.get("tags") or [None]:
                kwargs = {"imageTag": tag} if tag else {}
                put = ecr.put_image(repositoryName=repo["name"], imageManifest=manifest, **kwargs)
                ids.ids[image["digest"]] = put["image"]["imageId"]["imageDigest"]


def _route53(r53: Any, section: dict[str, Any], ids: IdMap) -> None:
    for zone in section.get("hosted_zones", []):
        made = r53.create_hosted_zone(Name=zone["name"], CallerReference=zone["id"])
        zone_id = made["HostedZone"]["Id"].removeprefix("/hostedzone/")
        ids.ids[zone["id"].removeprefix("/hostedzone/")] = zone_id
        changes = []
        for record in zone.get("records", []):
            if record["type"] in ("NS", "SOA") and record["name"] == zone["name"]:
                ids.skipped.append(f"{zone['name']} {record['type']}: Route53 writes its own")
                continue
            rrset: dict[str, Any] = {"Name": record["name"], "Type": record["type"]}
            if record.get("set_identifier"):
                rrset["SetIdentifier"] = record["set_identifier"]
            if record.get("alias_target"):
                alias = record["alias_target"]
                rrset["AliasTarget"] = {
                    "DNSName": alias["dns_name"],
                    "HostedZoneId": alias["hosted_zone_id"],
                    "EvaluateTargetHealth": alias.get("evaluate_target_health", False),
                }
            else:
                rrset["TTL"] = record.get("ttl") or 300
                rrset["ResourceRecords"] = [{"Value": v} for v in record.get("values", [])]
            changes.append({"Action": "CREATE", "ResourceRecordSet": rrset})
        if changes:
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def _eks(eks: Any, section: dict[str, Any], ids: IdMap) -> None:
    for cluster in section.get("clusters", []):
        endpoint = cluster.get("endpoint", {})
        kwargs: dict[str, Any] = {
            "name": cluster["name"],
            "version": cluster["version"],
            "roleArn": cluster["role_arn"],
            "resourcesVpcConfig": {
                "subnetIds": [ids.ids[s] for s in cluster.get("subnet_ids", [])],
                "endpointPublicAccess": endpoint.get("public_access", True),
                "endpointPrivateAccess": endpoint.get("private_access", False),
                "publicAccessCidrs": endpoint.get("public_access_cidrs", ["0.0.0.0/0"]),
            },
            "kubernetesNetworkConfig": {"serviceIpv4Cidr": cluster["service_ipv4_cidr"]},
            "logging": {
                "clusterLogging": [
                    {"types": cluster.get("logging", {}).get("enabled_types", []), "enabled": True}
                ]
            },
            "tags": cluster.get("tags", {}),
        }
        if cluster.get("encryption_config"):
            kwargs["encryptionConfig"] = [
                {"resources": e["resources"], "provider": {"keyArn": _key_arn(e["key_arn"], ids)}}
                for e in cluster["encryption_config"]
            ]
        made = eks.create_cluster(**kwargs)["cluster"]
        issuer = made.get("identity", {}).get("oidc", {}).get("issuer")
        if issuer and cluster.get("oidc_issuer"):
            ids.ids[cluster["oidc_issuer"].rsplit("/", 1)[-1]] = issuer.rsplit("/", 1)[-1]
        for group in cluster.get("node_groups", []):
            scaling = group.get("scaling", {})
            eks.create_nodegroup(
                clusterName=cluster["name"],
                nodegroupName=group["name"],
                subnets=[ids.ids[s] for s in group.get("subnet_ids", [])],
                nodeRole=group["node_role_arn"],
                instanceTypes=group.get("instance_types", []),
                amiType=group.get("ami_type") or "AL2_x86_64",
                capacityType=group.get("capacity_type") or "ON_DEMAND",
                scalingConfig={
                    "minSize": scaling.get("min", 1),
                    "maxSize": scaling.get("max", 1),
                    "desiredSize": scaling.get("desired", 1),
                },
                labels=group.get("labels", {}),
                **({"taints": group["taints"]} if group.get("taints") else {}),
            )
        for part in (
            "access_entries",
            "pod_identity_associations",
            "identity_provider_configs",
            "addons",
        ):
            if cluster.get(part):
                ids.skipped.append(f"cluster {cluster['name']}: {part} (moto has no API)")


def _key_arn(arn: str, ids: IdMap) -> str:
    prefix, _, key_id = arn.rpartition("/")
    return f"{prefix}/{ids.ids.get(key_id, key_id)}"


def _elbv2(elb: Any, acm: Any, section: dict[str, Any], ids: IdMap) -> None:
    target_groups: dict[str, str] = {}
    for lb in section.get("load_balancers", []):
        made = elb.create_load_balancer(
            Name=lb["name"],
            Subnets=[ids.ids[s] for s in lb.get("subnet_ids", [])],
            Scheme=lb.get("scheme", "internet-facing"),
            Type=lb.get("type", "application"),
            Tags=_tags(lb.get("tags", {})),
        )["LoadBalancers"][0]
        ids.ids[lb["arn"]] = made["LoadBalancerArn"]
        if lb.get("dns_name"):
            ids.ids[lb["dns_name"]] = made["DNSName"]
        for listener in lb.get("listeners", []):

            def actions(items: list[dict[str, Any]], vpc: str = made["VpcId"]) -> list[Any]:
                out = []
                for action in items:
                    action = dict(action)
                    arn = action.get("TargetGroupArn")
                    if arn:
                        if arn not in target_groups:
                            name = f"tg-{len(target_groups)}"
                            target_groups[arn] = elb.create_target_group(
                                Name=name, Protocol="HTTP", Port=80, VpcId=vpc
                            )["TargetGroups"][0]["TargetGroupArn"]
                            ids.ids[arn] = target_groups[arn]
                        action["TargetGroupArn"] = target_groups[arn]
                        action.pop("ForwardConfig", None)
                    out.append(action)
                return out

            kwargs: dict[str, Any] = {
                "LoadBalancerArn": made["LoadBalancerArn"],
                "Protocol": listener["protocol"],
                "Port": listener["port"],
                "DefaultActions": actions(listener.get("default_actions", [])),
            }
            if listener.get("certificates"):
                written = listener["certificates"][0]
                if written not in ids.ids:
                    ids.ids[written] = acm.request_certificate(DomainName="example.com")[
                        "CertificateArn"
                    ]
                kwargs["Certificates"] = [{"CertificateArn": ids.ids[written]}]
            if listener.get("ssl_policy"):
                kwargs["SslPolicy"] = listener["ssl_policy"]
            try:
                listener_arn = elb.create_listener(**kwargs)["Listeners"][0]["ListenerArn"]
            except elb.exceptions.ClientError as exc:
                ids.skipped.append(f"listener {lb['name']}:{listener['port']}: {exc}")
                continue
            for rule in listener.get("rules", []):
                elb.create_rule(
                    ListenerArn=listener_arn,
                    Priority=rule["priority"],
                    Conditions=[_condition(c) for c in rule["conditions"]],
                    Actions=actions(rule["actions"]),
                )


_CONDITION_CONFIGS = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    """The API takes one legacy ``Values`` entry; several go in the field's Config."""
    config = _CONDITION_CONFIGS.get(condition.get("Field", ""))
    if config and len(condition.get("Values", [])) > 1:
        return {"Field": condition["Field"], config: {"Values": condition["Values"]}}
    return condition


#: What the collector cannot see through moto, and why (docs/collect.md lists them).
#: The VPC network of the demo is not provisioned into moto: its ids (groups that
#: name each other, the S3 prefix list, endpoints, the control plane's
#: requester-managed ENIs) would each need mapping, and moto adds its own default
#: groups and ACLs (its instances carry their VPC's default group). Collecting these
#: objects from moto is tested on its own (tests/collect/test_aws_network.py); here
#: both sides leave them out (:func:`without_network`), and with them which groups
#: the instances, their ENIs, the cluster and the node groups carry.
NETWORK = {
    "ec2": ("security_groups", "prefix_lists", "network_acls", "vpc_peering_connections",
            "vpc_endpoints", "network_interfaces"),
    "rds": ("db_instances",),
    "elasticache": ("cache_clusters",),
    "efs": ("mount_targets",),
}  # fmt: skip


_GROUP_KEYS = ("security_group_ids", "cluster_security_group_id")


def without_network(document: dict[str, Any]) -> dict[str, Any]:
    """The document without its VPC network (NETWORK), the routes to prefix lists and
    through endpoints, and the security groups each object carries."""
    doc: dict[str, Any] = json.loads(json.dumps(document))
    for account in doc["accounts"]:
        for section, keys in NETWORK.items():
            for key in keys:
                account.get(section, {}).pop(key, None)
        ec2 = account.get("ec2", {})
        for table in ec2.get("route_tables", []):
            table["routes"] = [r for r in table["routes"] if not _not_provisioned_route(r)]
        carriers = [*ec2.get("instances", [])]
        carriers += [e for i in ec2.get("instances", []) for e in i.get("network_interfaces", [])]
        for cluster in account.get("eks", {}).get("clusters", []):
            carriers += [cluster, *cluster.get("node_groups", [])]
        for carrier in carriers:
            for key in _GROUP_KEYS:
                carrier.pop(key, None)
    return doc


def _not_provisioned_route(route: dict[str, Any]) -> bool:
    """A route to a prefix list or through an endpoint (part of NETWORK)."""
    return str(route.get("destination", "")).startswith("pl-") or str(
        route.get("gateway_id") or ""
    ).startswith("vpce-")


NOT_IN_MOTO = {
    "access_entries": "moto has no EKS access-entry API",
    "pod_identity_associations": "moto has no EKS Pod Identity API",
    "identity_provider_configs": "moto has no EKS identity provider config API",
    "addons": "moto has no EKS add-on API",
    "vpc_cni": "read from the vpc-cni add-on's configuration, which moto cannot hold",
}
NOT_IN_AWS_API = {
    "organization": "needs the Organizations management account; not collected",
    "creator_arn": "EKS does not return the cluster creator (CloudTrail does)",
    "kubelet_max_pods": "set in the launch template's user data, not in the node group API",
}


def equivalent(document: dict[str, Any]) -> dict[str, Any]:
    """The hand-written document as moto and the collector can reproduce it.

    Drops the parts listed in NOT_IN_MOTO and NOT_IN_AWS_API and the VPC network
    (:func:`without_network`), and writes listener rule conditions the way the
    provisioner sends them (see ``_condition``).
    """
    doc = without_network(document)
    for account in doc["accounts"]:
        account.pop("organization", None)
        for cluster in account.get("eks", {}).get("clusters", []):
            for key in (*NOT_IN_MOTO, "creator_arn"):
                cluster.pop(key, None)
            for group in cluster.get("node_groups", []):
                group["kubelet_max_pods"] = None
        for lb in account.get("elbv2", {}).get("load_balancers", []):
            for listener in lb.get("listeners", []):
                for rule in listener.get("rules", []):
                    rule["conditions"] = [_condition(c) for c in rule["conditions"]]
    return doc
