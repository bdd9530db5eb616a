"""The second wall behind the query guard: a query worker process that cannot open network sockets.

The guard (`sparql.inspect`) refuses SERVICE before a query reaches Oxigraph; this module makes a guard
bug a refused query rather than SSRF. A worker calls `block_network()` first thing, before it starts a
thread or loads data: from then on `socket(AF_INET | AF_INET6, …)` fails with EACCES in that process,
so Oxigraph's HTTP client cannot connect anywhere (loopback included). Unix sockets, which the worker
uses to talk to its parent, keep working.

The wall is a seccomp filter (Linux, no privileges needed; inherited by every thread and child). Where
seccomp is not available, a private network namespace (root or user namespaces) is the fallback: it
has no interface but a downed loopback. `block_network` says which wall stands, or "none".
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import platform
import struct

log = logging.getLogger(__name__)

# <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_RET_K = 0x20, 0x15, 0x06
_AF_INET, _AF_INET6 = 2, 10
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000

#: machine → (audit arch, seccomp syscall number, socket syscall number)
_ARCHES = {
    "x86_64": (0xC000003E, 317, 41),
    "aarch64": (0xC00000B7, 277, 198),
}


def _filter(arch: int, socket_nr: int) -> bytes:
    """A classic-BPF program: socket(AF_INET*) → EACCES; everything else (and other arches) allowed.

    seccomp_data: nr at offset 0, arch at 4, args[0] (low word, little-endian) at 16. Jumps count
    instructions skipped: the allow is instruction 7, the deny instruction 8.
    """
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    program = [
        (_BPF_LD_W_ABS, 0, 0, 4),  # A = arch
        (_BPF_JEQ_K, 0, 5, arch),  # not our arch → allow (jump to the last instruction)
        (_BPF_LD_W_ABS, 0, 0, 0),  # A = syscall number
        (_BPF_JEQ_K, 0, 3, socket_nr),  # not socket() → allow
        (_BPF_LD_W_ABS, 0, 0, 16),  # A = domain
        (_BPF_JEQ_K, 2, 0, _AF_INET),  # AF_INET → deny
        (_BPF_JEQ_K, 1, 0, _AF_INET6),  # AF_INET6 → deny
        (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
        (_BPF_RET_K, 0, 0, deny),
    ]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def _seccomp() -> bool:
    machine = platform.machine()
    if machine not in _ARCHES or not hasattr(ctypes, "CDLL"):
        return False
    arch, seccomp_nr, socket_nr = _ARCHES[machine]
    libc = ctypes.CDLL(None, use_errno=True)
    code = _filter(arch, socket_nr)
    buffer = ctypes.create_string_buffer(code)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    result = libc.syscall(
        seccomp_nr, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)
    )
    return result == 0


def _namespace() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return any(libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))


def block_network() -> str:
    """Make this process unable to open IPv4/IPv6 sockets; return the wall used, or "none"."""
    if os.name != "posix":
        return "none"
    for name, wall in (("seccomp", _seccomp), ("network-namespace", _namespace)):
        try:
            if wall():
                return name
        except (OSError, AttributeError, ValueError):
            continue
    log.warning("query workers can open network connections: neither seccomp nor namespaces are available")
    return "none"
