"""Reading a controller's command-line flags from its container's command and args.

The controllers the twin models (ExternalDNS, the AWS Load Balancer Controller)
take their configuration from flags: ``--flag=value`` or ``--flag value``,
repeatable flags once per value, booleans as a bare ``--flag`` (ExternalDNS's
kingpin also knows ``--no-flag``). Which flags are booleans is the caller's:
a boolean never takes the next word as its value.
"""

from __future__ import annotations

__all__ = ["parse_flags"]


def parse_flags(words: tuple[str, ...], booleans: frozenset[str]) -> dict[str, list[str]]:
    """``--name=value`` / ``--name value`` / ``--name`` / ``--no-name`` into name -> values
    (booleans as ``"true"``/``"false"``); words that are not flags are ignored."""
    out: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("--"):
            continue
        name, eq, value = word[2:].partition("=")
        if not eq:
            if name in booleans:
                value = "true"
            elif name.startswith("no-") and name[3:] in booleans:
                name, value = name[3:], "false"
            elif i < len(words) and not words[i].startswith("--"):
                value = words[i]
                i += 1
            else:
                value = "true"
        out.setdefault(name, []).append(value)
    return out
