"""The lab's helper process: enters pod namespaces with setns(2) to serve and to probe.

``python -m ekstwin.lab.agent serve JOB.json``
    opens every host's TCP and UDP ports inside its namespace and answers each
    connection or datagram with the source address it saw (one line); exits
    when the job's ``stop_file`` disappears or on SIGTERM. Writes its pid to
    ``pid_file`` and ``ready`` on stdout once every socket is open.

``python -m ekstwin.lab.agent probe`` (JSON on stdin, JSON on stdout)
    opens every probe's socket inside its source namespace, runs them all at
    once, and reports ``allowed`` (answered; with the address the receiver
    saw), ``refused`` (reset / port unreachable: the packet got through),
    ``blocked`` (no answer before the timeout) or ``error``. ICMP probes are
    echo requests from a raw socket; the destination's kernel answers them,
    so they report no source address.

A socket belongs to the namespace it was created in, so one process serves
or probes any number of namespaces. The agent only ever enters namespaces
under ``/run/netns`` whose names start with the job's prefix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
from typing import Any

from ekstwin.errors import EkstwinError

CLONE_NEWNET = 0x40000000
_NETNS_DIR = "/run/netns"


class AgentError(EkstwinError, OSError):
    """setns(2) failed or a namespace is outside the lab."""


def enter_netns(name: str, prefix: str) -> None:
    """Move the calling thread into the lab namespace ``name``."""
    if not name.startswith(prefix) or "/" in name:
        raise AgentError(f"refusing to enter {name!r}: not a lab namespace")
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join(_NETNS_DIR, name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise AgentError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    del soft


# --------------------------------------------------------------------------- serve


def serve(job: dict[str, Any]) -> int:
    _raise_nofile()
    prefix = str(job["prefix"])
    stop_file = str(job["stop_file"])
    sel = selectors.DefaultSelector()
    for host in job["hosts"]:
        enter_netns(str(host["netns"]), prefix)
        for proto, port in host["ports"]:
            if proto == "TCP":
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", int(port)))
                s.listen(4096)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("0.0.0.0", int(port)))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, proto)
    pid_file = job.get("pid_file")
    if pid_file:
        with open(str(pid_file), "w", encoding="utf-8") as fh:
            fh.write(str(os.getpid()))
    running = True

    def stop(_sig: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    last_check = time.monotonic()
    while running:
        for key, _ in sel.select(timeout=0.5):
            obj = key.fileobj
            assert isinstance(obj, socket.socket)
            s = obj
            try:
                if key.data == "TCP":
                    conn, peer = s.accept()
                    with conn:
                        conn.setblocking(False)
                        with contextlib.suppress(OSError):
                            conn.send(f"{peer[0]}\n".encode())
                else:
                    data, peer = s.recvfrom(2048)
                    del data
                    s.sendto(f"{peer[0]}\n".encode(), peer)
            except (BlockingIOError, InterruptedError, ConnectionError, OSError):
                continue
        now = time.monotonic()
        if now - last_check > 0.5:
            last_check = now
            if not os.path.exists(stop_file):
                break
    return 0


# --------------------------------------------------------------------------- probe


def probe(job: dict[str, Any]) -> list[list[Any]]:
    """Run the probes; ``job``: prefix, timeout, batch, probes [[id, netns, ip, port, proto]]."""
    _raise_nofile()
    prefix = str(job["prefix"])
    timeout = float(job.get("timeout", 0.5))
    batch = int(job.get("batch", 1000))
    probes = list(job["probes"])
    probes.sort(key=lambda p: str(p[1]))
    results: list[list[Any]] = []
    for start in range(0, len(probes), batch):
        results.extend(_probe_batch(probes[start : start + batch], prefix, timeout))
    return results


def _probe_batch(probes: list[list[Any]], prefix: str, timeout: float) -> list[list[Any]]:
    sel = selectors.DefaultSelector()
    out: dict[Any, list[Any]] = {}
    pending: dict[int, tuple[Any, socket.socket, str, str]] = {}
    current = None
    for pid, netns, ip, port, proto in probes:
        if netns != current:
            enter_netns(str(netns), prefix)
            current = netns
        if proto == "TCP":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((str(ip), int(port)))
            if rc not in (0, errno.EINPROGRESS):
                out[pid] = [pid, _status(rc), None]
                s.close()
                continue
            sel.register(s, selectors.EVENT_WRITE, pid)
            pending[s.fileno()] = (pid, s, "TCP", "connecting")
        elif proto == "ICMP":
            if int(port) != ICMP_ECHO:
                out[pid] = [pid, "error:only ICMP echo (type 8 code 0) is probed", None]
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            s.setblocking(False)
            ident = int(pid) & 0xFFFF
            try:
                s.sendto(_echo_request(ident), (str(ip), 0))
            except OSError as exc:
                out[pid] = [pid, _status(exc.errno or 0), None]
                s.close()
                continue
            sel.register(s, selectors.EVENT_READ, pid)
            pending[s.fileno()] = (pid, s, "ICMP", f"{ip}|{ident}")
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            try:
                s.connect((str(ip), int(port)))
                s.send(b"probe\n")
            except OSError as exc:
                out[pid] = [pid, _status(exc.errno or 0), None]
                s.close()
                continue
            sel.register(s, selectors.EVENT_READ, pid)
            pending[s.fileno()] = (pid, s, "UDP", "sent")
    deadline = time.monotonic() + timeout
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(timeout=left):
            obj = key.fileobj
            assert isinstance(obj, socket.socket)
            s = obj
            fd = s.fileno()
            pid, _, proto, state = pending[fd]
            if proto == "TCP" and state == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err != 0:
                    out[pid] = [pid, _status(err), None]
                    _drop(sel, pending, s)
                    continue
                sel.modify(s, selectors.EVENT_READ, pid)
                pending[fd] = (pid, s, proto, "connected")
                continue
            if proto == "ICMP":
                if _echo_reply_seen(s, state):
                    out[pid] = [pid, "allowed", None]
                    _drop(sel, pending, s)
                continue
            try:
                data = s.recv(256)
            except BlockingIOError:
                continue
            except OSError as exc:
                if proto == "TCP" and exc.errno == errno.ECONNRESET:
                    out[pid] = [pid, "allowed", None]
                else:
                    out[pid] = [pid, _status(exc.errno or 0), None]
                _drop(sel, pending, s)
                continue
            seen = data.decode(errors="replace").strip() or None
            out[pid] = [pid, "allowed", seen]
            _drop(sel, pending, s)
    for pid, s, _proto, state in list(pending.values()):
        out[pid] = [pid, "allowed" if state == "connected" else "blocked", None]
        _drop(sel, pending, s)
    sel.close()
    return [out[p[0]] for p in probes]


#: The engine's number for ICMP type 8 (echo request) code 0: type * 256 + code.
ICMP_ECHO = 8 * 256


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo_request(ident: int) -> bytes:
    payload = b"ekstwin-lab"
    head = bytes([8, 0, 0, 0]) + ident.to_bytes(2, "big") + (1).to_bytes(2, "big")
    check = _checksum(head + payload)
    return bytes([8, 0]) + check.to_bytes(2, "big") + head[4:] + payload


def _echo_reply_seen(s: socket.socket, state: str) -> bool:
    """Read what the raw socket holds; True once the echo reply from the probed
    address with our identifier is among it (a raw socket sees every ICMP packet
    of its namespace: other probes' replies are skipped)."""
    address, ident = state.split("|")
    while True:
        try:
            packet, (sender, _) = s.recvfrom(2048)
        except BlockingIOError:
            return False
        if len(packet) < 20:
            continue
        header = (packet[0] & 0x0F) * 4
        icmp = packet[header : header + 8]
        if (
            len(icmp) == 8
            and icmp[0] == 0
            and sender == address
            and int.from_bytes(icmp[4:6], "big") == int(ident)
        ):
            return True


def _drop(
    sel: selectors.BaseSelector,
    pending: dict[int, tuple[Any, socket.socket, str, str]],
    s: socket.socket,
) -> None:
    pending.pop(s.fileno(), None)
    sel.unregister(s)
    s.close()


def _status(err: int) -> str:
    if err == errno.ECONNREFUSED:
        return "refused"
    if err in (errno.ETIMEDOUT,):
        return "blocked"
    return "error:" + errno.errorcode.get(err, str(err))


def flush_conntrack(names: list[str], prefix: str) -> None:
    """Empty the conntrack table of each namespace (ctnetlink IPCTNL_MSG_CT_DELETE
    without attributes), so that flows from before a policy change are judged anew."""
    import struct

    netlink_netfilter = 12
    msg_type = (1 << 8) | 2  # NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE
    flags = 0x1 | 0x4  # NLM_F_REQUEST | NLM_F_ACK
    for name in names:
        enter_netns(name, prefix)
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, netlink_netfilter) as nl:
            body = struct.pack("BBH", socket.AF_INET, 0, 0)
            nl.send(struct.pack("=LHHLL", 16 + len(body), msg_type, flags, 1, 0) + body)
            reply = nl.recv(4096)
            if len(reply) >= 20:
                err = struct.unpack("=i", reply[16:20])[0]
                if err not in (0, -errno.ENOENT):
                    raise AgentError(-err, f"conntrack flush in {name}: {os.strerror(-err)}")


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "serve":
        with open(argv[1], encoding="utf-8") as fh:
            return serve(json.load(fh))
    if len(argv) >= 3 and argv[0] == "flush-conntrack":
        flush_conntrack(argv[2:], argv[1])
        return 0
    if argv and argv[0] == "probe":
        job = json.load(sys.stdin)
        json.dump(probe(job), sys.stdout)
        return 0
    sys.stderr.write("usage: python -m ekstwin.lab.agent serve JOB.json | probe < JOB.json\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
