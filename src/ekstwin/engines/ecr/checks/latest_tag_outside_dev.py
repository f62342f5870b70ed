"""ECR002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class LatestTagOutsideDev(Check):
    """
    ## What it does
    Finds containers outside development namespaces whose image is
    referenced as `:latest` or with no tag at all (which means `:latest`),
    and not pinned by a digest. Development namespaces are those whose labels
    match `--dev-namespaces` (default: label `environment` is `dev`,
    `development` or `sandbox`).

    ## Why is this bad?
    `latest` names whatever was pushed last. What runs depends on when each
    pod started, a rollout cannot be reproduced, and a rollback has nothing
    to roll back to. Kubernetes pulls `:latest` with `imagePullPolicy:
    Always` by default, so every restart can bring a different image.

    ## Example
    ```yaml
    image: nginx            # no tag: nginx:latest
    ```

    ## Fix
    Use a version tag from an immutable repository, or pin the digest
    (`image: nginx@sha256:...`).

    ## References
    - Kubernetes documentation: Images, "Image names" and "Updating images"
    - Kubernetes documentation: Configuration best practices, "Container images"
    """

    id = "ECR002"
    slug = "latest-tag-outside-dev"
    title = "Image uses latest or no tag outside development namespaces"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for meta, spec in platform.pod_specs():
            namespace = meta.ns
            if ctx.is_dev_namespace(platform, namespace):
                continue
            for c in spec.containers:
                image = c.image
                if image.digest is not None or image.effective_tag != "latest":
                    continue
                written = "no tag (read as latest)" if image.tag is None else "tag latest"
                yield self.finding(
                    meta.ref,
                    f"{meta.ref} container {c.name!r} runs {image.text!r} with {written} "
                    f"in namespace {namespace!r}, which is not marked for development",
                    meta.line_of(f"{c.pointer}/image"),
                    evidence=[
                        f"container {c.name!r} image {image.text}",
                        f"namespace {namespace} labels do not match the development selector",
                        f"imagePullPolicy {c.pull_policy.value}"
                        + (" (defaulted)" if c.pull_policy_defaulted else ""),
                    ],
                    fix="use a version tag or pin the image by digest",
                    key=c.name,
                )
