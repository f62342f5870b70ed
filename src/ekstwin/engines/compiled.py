"""The models one ``analyze`` compiles from the platform, each built at most once.

Several checks ask the same engine about the same platform: the NET, MSH and
ING checks all need the network model, the five ING checks and DNS002 the
ALB build, the IAM and ACC checks an IAM analyzer. :class:`CompiledModels`
builds each of them the first time a check asks and hands the same object to
every later check of the run (``ctx.models(platform).net``). The objects are
read-only for the checks (their own memo caches aside); a check that needs a
changed platform compiles its own model of it.

Each model is built on the others where an engine takes one: the lint model
and the mesh model on the network model, the access analyzer on the IAM
analyzer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ekstwin.model.platform import Platform

if TYPE_CHECKING:
    from ekstwin.engines.access.analyzer import AccessAnalyzer
    from ekstwin.engines.iam.chains import IamAnalyzer
    from ekstwin.engines.ingress.model import AlbPlan
    from ekstwin.engines.mesh.verdict import MeshModel
    from ekstwin.engines.net.engine import NetModel
    from ekstwin.engines.net.lint import LintModel
    from ekstwin.engines.vpc.flows import PodGroup
    from ekstwin.engines.vpc.model import VpcModel

__all__ = ["CompiledModels"]


class CompiledModels:
    """One platform's compiled models, built on first use (engines are imported
    then, so a run that needs no network model never loads the net engine)."""

    __slots__ = (
        "_access", "_albs", "_iam", "_lint", "_mesh", "_net", "_pod_groups", "_vpc", "platform",
    )  # fmt: skip

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._net: NetModel | None = None
        self._lint: LintModel | None = None
        self._mesh: MeshModel | None = None
        self._albs: AlbPlan | None = None
        self._iam: IamAnalyzer | None = None
        self._access: AccessAnalyzer | None = None
        self._vpc: VpcModel | None = None
        self._pod_groups: list[PodGroup] | None = None

    @property
    def net(self) -> NetModel:
        """The network model (endpoints, classes, compiled policies)."""
        if self._net is None:
            from ekstwin.engines.net.engine import NetModel

            self._net = NetModel(self.platform)
        return self._net

    @property
    def lint(self) -> LintModel:
        """What the NET checks share, on :attr:`net`."""
        if self._lint is None:
            from ekstwin.engines.net.lint import LintModel

            self._lint = LintModel(self.platform, self.net)
        return self._lint

    @property
    def mesh(self) -> MeshModel:
        """The mesh model (injection per pod), on :attr:`net`."""
        if self._mesh is None:
            from ekstwin.engines.mesh.verdict import MeshModel

            self._mesh = MeshModel(self.platform, self.net)
        return self._mesh

    @property
    def albs(self) -> AlbPlan:
        """The ALBs the AWS Load Balancer Controller would build, with default options."""
        if self._albs is None:
            from ekstwin.engines.ingress.builder import build_albs

            self._albs = build_albs(self.platform)
        return self._albs

    @property
    def iam(self) -> IamAnalyzer:
        """The IAM analyzer (pod chains, role trust), with its per-run caches."""
        if self._iam is None:
            from ekstwin.engines.iam.chains import IamAnalyzer

            self._iam = IamAnalyzer(self.platform)
        return self._iam

    @property
    def access(self) -> AccessAnalyzer:
        """The access analyzer (RBAC, aws-auth, SSO chains), on :attr:`iam`."""
        if self._access is None:
            from ekstwin.engines.access.analyzer import AccessAnalyzer

            self._access = AccessAnalyzer(self.platform, iam_analyzer=self.iam)
        return self._access

    @property
    def vpc(self) -> VpcModel:
        """The AWS network model (security groups, ACLs, routes, placements)."""
        if self._vpc is None:
            from ekstwin.engines.vpc.model import VpcModel

            self._vpc = VpcModel.build(self.platform)
        return self._vpc

    @property
    def pod_groups(self) -> list[PodGroup]:
        """The pods in groups that :attr:`net` and :attr:`vpc` judge alike (the
        flows the vpc checks judge are per group)."""
        if self._pod_groups is None:
            from ekstwin.engines.vpc.flows import group_pods

            self._pod_groups = group_pods(self.platform, self.net, self.vpc)
        return self._pod_groups
