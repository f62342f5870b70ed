"""Which EKS cluster the platform is: one rule (``Platform.eks_cluster``) that
every engine reads: the named one, else the only one, else the one the
Kubernetes input's nodes run in, else the one the AWS input's nodes belong
to, else unknown."""

from __future__ import annotations

from ekstwin.engines.access.analyzer import AccessAnalyzer
from ekstwin.engines.iam.chains import IamAnalyzer
from ekstwin.model.aws import Account, AwsState, EksCluster, Instance, Subnet
from ekstwin.model.k8s import Meta, Node, Pod, PodSpec
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

SRC = Source("aws.json", 1)
A = EksCluster("alpha", "eu-west-1", "arn:aws:eks:eu-west-1:111122223333:cluster/alpha", "1.31",
               vpc_id="vpc-a")  # fmt: skip
B = EksCluster("beta", "eu-west-1", "arn:aws:eks:eu-west-1:111122223333:cluster/beta", "1.31",
               vpc_id="vpc-b")  # fmt: skip
SUBNETS = (
    Subnet("subnet-a", "vpc-a", "198.18.0.0/24", "eu-west-1a"),
    Subnet("subnet-b", "vpc-b", "198.18.1.0/24", "eu-west-1a"),
)


def _instance(iid: str, subnet: str, cluster: str | None = None) -> Instance:
    return Instance(iid, "m5.large", subnet, node_name=f"{iid}.node", cluster=cluster)


def _platform(
    clusters: tuple[EksCluster, ...],
    instances: tuple[Instance, ...] = (),
    nodes: tuple[Node, ...] = (),
) -> Platform:
    account = Account("111122223333", eks_clusters=clusters, subnets=SUBNETS, instances=instances)
    return Platform(nodes=nodes, aws=AwsState(accounts=(account,)))


def _node(name: str, *, instance_id: str | None = None, named_by_pod: bool = False) -> Node:
    if named_by_pod:
        src = Source.implied_by("spec.nodeName of a pod")
        return Node(Meta("v1", "Node", name, None, src), implicit=True)
    return Node(Meta("v1", "Node", name, None, Source("nodes.yaml", 1)), instance_id=instance_id)


def _from_instance(inst: Instance) -> Node:
    # a node the loader makes from an instance of the AWS input
    return Node(Meta("v1", "Node", inst.node_name or "", None, SRC), instance_id=inst.instance_id,
                implicit=True)  # fmt: skip


def test_no_cluster_one_cluster_and_a_named_cluster() -> None:
    assert _platform(()).eks_cluster() is None
    assert _platform((B,)).eks_cluster() is B
    both = _platform((A, B))
    assert both.eks_cluster("beta") is B
    assert both.eks_cluster(A.arn) is A
    assert both.eks_cluster("gamma") is None  # named but not in the AWS input: unknown


def test_several_clusters_the_one_the_inputs_nodes_run_in() -> None:
    a1, b1, b2 = (
        _instance("i-a1", "subnet-a", "alpha"),
        _instance("i-b1", "subnet-b", "beta"),
        (_instance("i-b2", "subnet-b")),
    )
    instances = (a1, b1, b2)
    made = tuple(_from_instance(i) for i in instances)
    # a Node object of the input, matched by instance id (the instance names its cluster)
    p = _platform((A, B), instances, (_node("x", instance_id="i-b1"), *made))
    assert p.eks_cluster() is B
    # a node a pod names, matched by name; the instance names no cluster, its VPC does
    p = _platform((A, B), instances, (_node("i-b2.node", named_by_pod=True), *made))
    assert p.eks_cluster() is B
    # the input's nodes in two clusters: unknown
    nodes = (_node("x", instance_id="i-a1"), _node("y", instance_id="i-b1"), *made)
    assert _platform((A, B), instances, nodes).eks_cluster() is None


def test_several_clusters_without_input_nodes_the_one_the_aws_nodes_belong_to() -> None:
    b1 = _instance("i-b1", "subnet-b", "beta")
    assert _platform((A, B), (b1,), (_from_instance(b1),)).eks_cluster() is B
    # nodes of both clusters and nothing in the Kubernetes input to choose by: unknown
    # (the ipam engine took the cluster most instances name, access and IAM the first)
    a1, a2 = _instance("i-a1", "subnet-a", "alpha"), _instance("i-a2", "subnet-a", "alpha")
    instances = (a1, a2, b1)
    p = _platform((A, B), instances, tuple(_from_instance(i) for i in instances))
    assert p.eks_cluster() is None
    assert AccessAnalyzer(p).cluster is None


def test_engines_read_the_one_rule() -> None:
    b1 = _instance("i-b1", "subnet-b", "beta")
    p = _platform((A, B), (b1,), (_node("x", instance_id="i-b1"),))
    # the access analyzer took the first cluster listed (alpha)
    assert AccessAnalyzer(p).cluster is B
    pod = Pod(Meta("v1", "Pod", "p", "ns", Source("pods.yaml", 1)), PodSpec(()))
    # a pod not bound to a node runs in the platform's cluster
    assert IamAnalyzer(p).cluster_for(pod) is B
