"""ECR: which images come from which repository, and how tags resolve."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.model.aws import Arn, AwsState, EcrRepository
from ekstwin.model.k8s import Container, Meta
from ekstwin.model.platform import Platform


@dataclass(frozen=True, slots=True)
class ImageUse:
    """One container of one pod template, and the ECR repository its image is in."""

    owner: Meta
    container: Container
    repository: EcrRepository | None


def find_repository(aws: AwsState, container: Container) -> EcrRepository | None:
    """The repository an ECR image reference names (account, region and name must agree)."""
    image = container.image
    account, region = image.ecr_account, image.ecr_region
    if account is None:
        return None
    for repo in aws.ecr_repositories:
        arn = Arn.parse(repo.arn)
        repo_region = repo.region or (arn.region if arn is not None else None)
        if (
            repo.name == image.repository
            and repo.account_id == account
            and (repo_region is None or repo_region == region)
        ):
            return repo
    return None


def image_uses(platform: Platform) -> Iterator[ImageUse]:
    """Every container of every pod template, with its ECR repository when known."""
    for meta, spec in platform.pod_specs():
        for c in spec.containers:
            yield ImageUse(meta, c, find_repository(platform.aws, c))
