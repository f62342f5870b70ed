"""Container image references, parsed the way Kubernetes and the registries read them."""

from __future__ import annotations

import functools
import re
from enum import StrEnum

from ekstwin.model._dataclass import dataclass

_ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$"
)

DOCKER_HUB = "docker.io"


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image reference split into registry, repository, tag and digest.

    ``tag`` is None when the reference names no tag (Kubernetes then reads
    it as ``latest`` unless a digest is given). ``registry`` is ``docker.io``
    for references without a registry host, as Docker resolves them.
    """

    text: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def ecr_account(self) -> str | None:
        m = _ECR_HOST.match(self.registry)
        return m.group("account") if m else None

    @property
    def ecr_region(self) -> str | None:
        m = _ECR_HOST.match(self.registry)
        return m.group("region") if m else None

    @property
    def is_ecr(self) -> bool:
        return self.ecr_account is not None

    @property
    def effective_tag(self) -> str:
        """The tag Kubernetes uses to default the pull policy.

        Kubernetes (``parsers.ParseImageName``) reads a reference with neither
        tag nor digest as ``:latest``; with only a digest the tag is empty.
        """
        if self.tag is not None:
            return self.tag
        return "" if self.digest else "latest"


@functools.lru_cache(maxsize=8192)  # workloads repeat images; the reference is immutable
def parse_image(text: str) -> ImageRef:
    """Parse ``[registry/]repository[:tag][@digest]``.

    The first path component is a registry host when it contains ``.`` or
    ``:`` or is ``localhost`` (Docker's rule); otherwise the image is on
    Docker Hub.
    """
    rest = text.strip()
    digest: str | None = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    tag: str | None = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, rest
    return ImageRef(text=text, registry=registry, repository=repository, tag=tag, digest=digest)


def default_pull_policy(image: ImageRef) -> PullPolicy:
    """Kubernetes' default: Always for ``:latest`` (or no tag and no digest), else IfNotPresent."""
    if image.effective_tag == "latest":
        return PullPolicy.ALWAYS
    return PullPolicy.IF_NOT_PRESENT
