"""Image references and Kubernetes' default pull policy."""

from __future__ import annotations

import pytest

from ekstwin.model.images import ImageRef, PullPolicy, default_pull_policy, parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", ImageRef("nginx", "docker.io", "nginx", None, None)),
        ("nginx:1.25", ImageRef("nginx:1.25", "docker.io", "nginx", "1.25", None)),
        (
            "library/nginx:latest",
            ImageRef("library/nginx:latest", "docker.io", "library/nginx", "latest", None),
        ),
        (f"nginx@{DIGEST}", ImageRef(f"nginx@{DIGEST}", "docker.io", "nginx", None, DIGEST)),
        (
            f"nginx:latest@{DIGEST}",
            ImageRef(f"nginx:latest@{DIGEST}", "docker.io", "nginx", "latest", DIGEST),
        ),
        ("localhost:5000/a/b", ImageRef("localhost:5000/a/b", "localhost:5000", "a/b", None, None)),
        (
            "localhost:5000/a/b:2",
            ImageRef("localhost:5000/a/b:2", "localhost:5000", "a/b", "2", None),
        ),
        ("localhost/a", ImageRef("localhost/a", "localhost", "a", None, None)),
        ("ghcr.io/org/app:v1", ImageRef("ghcr.io/org/app:v1", "ghcr.io", "org/app", "v1", None)),
        (
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/cart:1.4",
            ImageRef(
                "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/cart:1.4",
                "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
                "shop/cart",
                "1.4",
                None,
            ),
        ),
    ],
)
def test_parse_image(text: str, expected: ImageRef) -> None:
    assert parse_image(text) == expected


@pytest.mark.parametrize(
    ("text", "account", "region"),
    [
        ("111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/cart:1.4", "111122223333", "eu-west-1"),
        ("444455556666.dkr.ecr-fips.us-east-1.amazonaws.com/a", "444455556666", "us-east-1"),
        ("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/a:1", "111122223333", "cn-north-1"),
        ("public.ecr.aws/a/b:1", None, None),
        ("nginx:1", None, None),
        ("evil.com/111122223333.dkr.ecr.eu-west-1.amazonaws.com/a", None, None),
    ],
)
def test_ecr_host_parse(text: str, account: str | None, region: str | None) -> None:
    image = parse_image(text)
    assert (image.ecr_account, image.ecr_region, image.is_ecr) == (
        account,
        region,
        account is not None,
    )


@pytest.mark.parametrize(
    ("text", "policy", "effective_tag"),
    [
        ("x:latest", PullPolicy.ALWAYS, "latest"),
        ("x", PullPolicy.ALWAYS, "latest"),
        (f"x@{DIGEST}", PullPolicy.IF_NOT_PRESENT, ""),
        (f"x:latest@{DIGEST}", PullPolicy.ALWAYS, "latest"),
        ("x:1.0", PullPolicy.IF_NOT_PRESENT, "1.0"),
        (f"x:1.0@{DIGEST}", PullPolicy.IF_NOT_PRESENT, "1.0"),
        ("localhost:5000/a/b", PullPolicy.ALWAYS, "latest"),
        ("x:Latest", PullPolicy.IF_NOT_PRESENT, "Latest"),  # the comparison is exact
    ],
)
def test_default_pull_policy_is_kubernetes_defaulting(
    text: str, policy: PullPolicy, effective_tag: str
) -> None:
    image = parse_image(text)
    assert (image.effective_tag, default_pull_policy(image)) == (effective_tag, policy)
