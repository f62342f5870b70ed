"""Read ``terraform show -json`` output (a plan or a state) as an aws.json document.

A plan's ``resource_changes`` give each resource's ``after`` values and, in
``after_unknown``, the attributes known only after apply (ids and ARNs AWS
chooses, values computed from them). A state's ``values`` are all known.
Resources being destroyed are left out. Each resource type read has one
handler (:data:`HANDLERS`, resource type -> handler; the modules ``ec2``,
``iam``, ``kms``, ``ecr``, ``route53``, ``eks`` hold them); other types are
ignored. Reading a new type is adding its handler to the table.

A value unknown until apply is handled, never guessed silently:

* an id or ARN gets a placeholder derived from the resource address
  (``vpc-`` + hex, ``arn:...:role/NAME``), and an attribute that refers to it
  (``vpc_id = aws_vpc.main.id``, found through the plan's ``configuration``)
  gets the same placeholder, so references still join up;
* any other unknown value is left out (the aws.json default applies);

and each is reported as a warning naming the resource address and the
attribute, so a finding that depends on it can be read with care.
"""

from __future__ import annotations

from ekstwin.loaders.terraform.convert import (
    HANDLERS,
    INPUT_FORMAT,
    RESOURCE_TYPES,
    UNKNOWN_ACCOUNT,
    terraform_to_aws,
)
from ekstwin.loaders.terraform.plan import is_terraform_json

__all__ = [
    "HANDLERS",
    "INPUT_FORMAT",
    "RESOURCE_TYPES",
    "UNKNOWN_ACCOUNT",
    "is_terraform_json",
    "terraform_to_aws",
]
