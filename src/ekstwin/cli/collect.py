"""``ekstwin collect aws`` and ``ekstwin collect k8s``: read a live platform, read-only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from ekstwin.cli.common import Exit, eprint, print_diagnostics, write_json
from ekstwin.errors import ConfigError
from ekstwin.findings import DiagnosticLevel


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "collect",
        help="read a live AWS account or Kubernetes cluster into files ekstwin reads",
        description="Read a live platform with read-only calls. See docs/collect.md.",
    )
    csub = p.add_subparsers(dest="collect_command", required=True, metavar="SOURCE")

    a = csub.add_parser(
        "aws",
        help="collect an AWS account into aws.json (boto3; Describe/List/Get calls only)",
        description="Collect the account of the current AWS credentials into aws.json. "
        "Needs the actions in docs/collect-iam-policy.json.",
    )
    a.add_argument(
        "--region",
        action="append",
        metavar="R",
        help="region to collect (repeat for several; default: the profile's region)",
    )
    a.add_argument("--profile", metavar="P", help="AWS profile to use")
    a.add_argument("--cluster", metavar="NAME", help="collect only this EKS cluster")
    a.add_argument("--endpoint-url", metavar="URL", help="send every call to this endpoint")
    a.add_argument(
        "--max-retry-seconds",
        type=float,
        default=120.0,
        metavar="S",
        help="time the whole collection may spend waiting to retry throttled or failed "
        "calls (default 120); after it, failed calls are not retried",
    )
    a.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress, errors only")
    a.set_defaults(handler=run_collect_aws)

    k = csub.add_parser(
        "k8s",
        help="collect a Kubernetes cluster into a directory of List files (list calls only)",
        description="List every kind ekstwin reads (Calico and Istio resources when their "
        "APIs exist) into DIR. Needs the ClusterRole in docs/collect-clusterrole.yaml.",
    )
    k.add_argument("--context", metavar="C", help="kubeconfig context (default: current)")
    k.add_argument("--kubeconfig", metavar="F", help="kubeconfig file (default: $KUBECONFIG)")
    k.add_argument("--page-size", type=int, default=500, metavar="N", help="list page size")
    k.add_argument("--output", "-o", metavar="DIR", required=True)
    k.add_argument("--quiet", "-q", action="store_true", help="no progress bar, errors only")
    k.set_defaults(handler=run_collect_k8s)


@contextmanager
def _progress(
    quiet: bool, label: str, *, lines: bool = False
) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr when it is a terminal; otherwise, with ``lines``,
    one line per step (a long collection in CI shows that it moves)."""
    if quiet or (not lines and not sys.stderr.isatty()):
        yield lambda step, done, total: None
        return
    if not sys.stderr.isatty():

        def line(step: str, done: int, total: int) -> None:
            if done < total:
                eprint(f"{label}: {step} ({done + 1}/{total})")

        yield line
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)

        def tick(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{label}: {step}")

        yield tick


def run_collect_aws(args: argparse.Namespace) -> int:
    from ekstwin.collect.aws import MIN_READ_SHARE, AwsCollectOptions, collect_aws

    if args.endpoint_url is not None:
        url = urlsplit(args.endpoint_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ConfigError(
                f"--endpoint-url {args.endpoint_url!r} is not a URL - give one such as "
                "http://localhost:4566"
            )
    if not args.max_retry_seconds >= 0:
        raise ConfigError("--max-retry-seconds must be 0 or more")
    options = AwsCollectOptions(
        regions=tuple(args.region or ()),
        profile=args.profile,
        cluster=args.cluster,
        endpoint_url=args.endpoint_url,
        max_retry_seconds=args.max_retry_seconds,
    )
    with _progress(args.quiet, "collecting AWS", lines=True) as tick:
        collection = collect_aws(
            options, progress=tick, notice=None if args.quiet else lambda m: eprint(f"  {m}")
        )
    write_json(collection.document, args.output, indent=1)
    print_diagnostics(collection.diagnostics, quiet=args.quiet)
    read = collection.reads - collection.failed
    summary = (
        f"collect aws: {read} of {collection.reads} reads succeeded "
        f"({collection.read_share:.0%}), {collection.failed} failed"
    )
    if not collection.complete_enough:
        eprint(
            f"error: {summary}: the collection is incomplete (less than "
            f"{MIN_READ_SHARE:.0%} read) - the file lists what failed under "
            "collector.diagnostics; fix the permissions or the endpoint and collect again"
        )
        return Exit.INPUT
    if not args.quiet:
        eprint(summary)
    if any(d.level is DiagnosticLevel.ERROR for d in collection.diagnostics):
        return Exit.INPUT
    return Exit.OK


def run_collect_k8s(args: argparse.Namespace) -> int:
    from ekstwin.collect.k8s import K8sCollectOptions, collect_k8s

    options = K8sCollectOptions(
        context=args.context, kubeconfig=args.kubeconfig, page_size=args.page_size
    )
    with _progress(args.quiet, "collecting Kubernetes") as tick:
        result = collect_k8s(options, args.output, progress=tick)
    print_diagnostics(result.diagnostics, quiet=args.quiet)
    if not args.quiet:
        eprint(
            f"wrote {sum(result.counts.values())} objects of {len(result.counts)} kinds "
            f"to {args.output}"
        )
    if any(d.level is DiagnosticLevel.ERROR for d in result.diagnostics):
        return Exit.INPUT
    return Exit.OK
