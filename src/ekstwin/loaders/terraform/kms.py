"""KMS: ``aws_kms_key``."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import Builder, Handler, Json, doc, hex_of, id_placeholder
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]


def _key_uuid(address: str) -> str:
    h = hex_of(address, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


_key_id = id_placeholder("key_id", _key_uuid)


def _placeholder(b: Builder, r: Resource) -> None:
    _key_id(b, r)
    key_id = b.placeholders[f"{r.address}.key_id"]
    arn = r.values.get("arn") or f"arn:aws:kms:{b.region}:{b.account}:key/{key_id}"
    b.placeholders[f"{r.address}.arn"] = str(arn)


def _key(b: Builder, r: Resource) -> None:
    key_id = b.get(r, "key_id", b.placeholders[r.address + ".key_id"])
    key: Json = {
        "key_id": key_id,
        "arn": b.get(r, "arn", f"arn:aws:kms:{b.region}:{b.account}:key/{key_id}"),
        "region": b.region,
        "description": str(r.values.get("description") or ""),
        "key_state": "Enabled" if r.values.get("is_enabled", True) else "Disabled",
        "key_usage": str(r.values.get("key_usage") or "ENCRYPT_DECRYPT"),
        "key_spec": str(r.values.get("customer_master_key_spec") or "SYMMETRIC_DEFAULT"),
        "rotation_enabled": bool(r.values.get("enable_key_rotation")),
    }
    configured = b.references.get(r.address)
    if b.is_unknown(r, "policy") and configured is not None and "policy" not in configured:
        # no policy in the configuration: KMS gives the key its default key policy
        key["policy"] = {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{b.account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    elif (policy := doc(b.get(r, "policy"))) is not None:
        key["policy"] = policy
    keys = b.items("kms", "keys")
    b.note(f"/accounts/0/kms/keys/{len(keys)}", r)
    keys.append(key)


HANDLERS = (Handler("aws_kms_key", _key, _placeholder),)
