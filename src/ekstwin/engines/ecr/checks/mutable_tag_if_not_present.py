"""ECR001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ecr import image_uses
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.images import PullPolicy
from ekstwin.model.platform import Platform


class MutableTagIfNotPresent(Check):
    """
    ## What it does
    Finds containers whose image comes from an ECR repository with mutable
    tags, is referenced by tag (not by digest), and is pulled with
    `imagePullPolicy: IfNotPresent` (written, or Kubernetes' default for any
    tag other than `latest`).

    ## Why is this bad?
    When someone pushes the same tag again, the tag moves to a new image.
    Nodes that already hold the tag keep running the old image, because
    IfNotPresent never asks the registry again; nodes that join later pull
    the new one. One Deployment then runs two different images under one
    name, and a rollback to the tag does not roll anything back.

    ## Example
    ```yaml
    image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/cart:1.4   # repository MUTABLE
    imagePullPolicy: IfNotPresent
    ```

    ## Fix
    Make the repository's tags immutable (`imageTagMutability: IMMUTABLE`), or
    pin the image by digest (`...cart@sha256:...`). `imagePullPolicy: Always`
    makes every start ask the registry, which avoids the split but still lets
    a push change what runs.

    ## References
    - Amazon ECR User Guide: Preventing image tags from being overwritten
    - Kubernetes documentation: Images, "Image pull policy" and its defaulting
    """

    id = "ECR001"
    slug = "mutable-tag-if-not-present"
    title = "Mutable ECR tag pulled with IfNotPresent"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for use in image_uses(platform):
            c, repo = use.container, use.repository
            image = c.image
            if repo is None or image.digest is not None:
                continue
            tag = image.effective_tag  # no tag written means latest
            if c.pull_policy is not PullPolicy.IF_NOT_PRESENT or not repo.tag_is_mutable(tag):
                continue
            how = (
                f"defaulted by Kubernetes for tag {tag!r}"
                if c.pull_policy_defaulted
                else "written in the manifest"
            )
            evidence = [
                f"container {c.name!r} uses image {image.text}",
                f"repository {repo.arn} has tag mutability {repo.tag_mutability.value}",
                f"imagePullPolicy IfNotPresent ({how})",
            ]
            digest = repo.digest_of(tag)
            if digest:
                evidence.append(f"tag {tag!r} points at {digest} today")
            yield self.finding(
                use.owner.ref,
                f"{use.owner.ref} container {c.name!r} pulls mutable tag {tag!r} from "
                f"{repo.name} with IfNotPresent: nodes can run different images under one tag",
                use.owner.line_of(f"{c.pointer}/image"),
                evidence=evidence,
                fix=f"pin {image.repository} by digest, or make repository {repo.name} "
                "tag-immutable",
                key=c.name,
            )
