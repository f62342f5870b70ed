"""Build ``src/ekstwin/data/instance_types.json`` from the EC2 data moto ships.

moto (PyPI) carries EC2 ``DescribeInstanceTypes`` answers in
``moto/ec2/resources/instance_types.json(.gz)``; this script keeps the fields
that bound pods and writes the table ekstwin ships. Run it with a Python that
has moto installed::

    python scripts/build_instance_types.py [--output PATH]

``ekstwin ipam refresh-instance-types`` builds the same table from EC2 itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from ekstwin.engines.ipam.limits import limits_from_ec2, table_json

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "src/ekstwin/data/instance_types.json"


def _moto_instance_types() -> dict[str, Any]:
    folder = resources.files("moto").joinpath("ec2/resources")
    for name in ("instance_types.json.gz", "instance_types.json"):
        entry = folder.joinpath(name)
        if entry.is_file():
            raw = entry.read_bytes()
            text = gzip.decompress(raw) if name.endswith(".gz") else raw
            data = json.loads(text)
            if isinstance(data, dict):
                return data
    raise SystemExit("error: moto ships no ec2/resources/instance_types.json - install moto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    items = _moto_instance_types()
    limits = [lim for lim in map(limits_from_ec2, items.values()) if lim is not None]
    source = f"moto {metadata.version('moto')} ec2/resources/instance_types (DescribeInstanceTypes)"
    args.output.write_text(table_json(limits, source), encoding="utf-8")
    print(f"wrote {len(limits)} instance types to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
