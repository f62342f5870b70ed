"""ECR: ``aws_ecr_repository`` and ``aws_ecr_repository_policy``."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import Builder, Handler, doc, first, name_placeholder
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]


def _repository(b: Builder, r: Resource) -> None:
    repos = b.keyed("ecr", "repositories")
    name = str(b.get(r, "name") or r.name)
    scanning = first(r.values.get("image_scanning_configuration"))
    encryption = first(r.values.get("encryption_configuration"))
    b.placeholders[r.address + ".name"] = name
    b.note(f"/accounts/0/ecr/repositories/{len(repos)}", r)
    acct, region = b.account, b.region
    repos[name] = {
        "name": name,
        "arn": b.get(r, "arn", f"arn:aws:ecr:{region}:{acct}:repository/{name}"),
        "uri": r.values.get("repository_url") or f"{acct}.dkr.ecr.{region}.amazonaws.com/{name}",
        "region": region,
        "tag_mutability": str(r.values.get("image_tag_mutability") or "MUTABLE"),
        "scan_on_push": bool(scanning.get("scan_on_push")),
        "encryption": {
            "type": str(encryption.get("encryption_type") or "AES256"),
            "kms_key": encryption.get("kms_key") or None,
        },
    }


def _repository_policy(b: Builder, r: Resource) -> None:
    repos = b.keyed("ecr", "repositories")
    name = b.get(r, "repository")
    policy = doc(b.get(r, "policy"))
    if name in repos and policy is not None:
        repos[str(name)]["policy"] = policy


HANDLERS = (
    Handler("aws_ecr_repository", _repository, name_placeholder()),
    Handler("aws_ecr_repository_policy", _repository_policy),
)
