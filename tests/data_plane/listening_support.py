"""What a tree of processes listens on, read from /proc as `ss -lntup` would: the sockets in
the kernel's tables, matched to the processes whose file descriptors hold them."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

# A TCP socket that accepts connections; an unconnected UDP socket takes any peer's datagrams.
TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"
SIOCGIFADDR = 0x8915
TABLES = {"tcp": TCP_LISTEN, "tcp6": TCP_LISTEN, "udp": UDP_UNCONNECTED, "udp6": UDP_UNCONNECTED}


@dataclass(frozen=True)
class Listener:
    pid: int
    program: str
    protocol: str
    address: IPv4Address | IPv6Address
    port: int

    @property
    def loopback_only(self) -> bool:
        address = self.address
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.is_loopback


def _address(hex_address: str) -> IPv4Address | IPv6Address:
    # The kernel prints each 32-bit word of the address in host (little-endian) order.
    raw = bytes.fromhex(hex_address)
    return ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4)))


def _sockets() -> dict[int, tuple[str, IPv4Address | IPv6Address, int]]:
    """inode -> (protocol, address, port) of every listening socket of this network
    namespace."""
    found = {}
    for table, state in TABLES.items():
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, status, inode = fields[1], fields[2], fields[3], int(fields[9])
            if status != state or (table.startswith("udp") and int(remote.split(":")[1], 16)):
                continue
            hex_address, hex_port = local.split(":")
            found[inode] = (table, _address(hex_address), int(hex_port, 16))
    return found


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # The command name may hold spaces and parentheses: fields start after the last ")".
            parent = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _socket_inodes(pid: int) -> Iterator[int]:
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    yield int(target[len("socket:[") : -1])


def listeners(pids: list[int]) -> list[Listener]:
    sockets = _sockets()
    found = []
    for pid in pids:
        program = command_line(pid).split(" ", 1)[0]
        for inode in set(_socket_inodes(pid)):
            if inode in sockets:
                protocol, address, port = sockets[inode]
                found.append(Listener(pid, program, protocol, address, port))
    return found


def outward_addresses() -> list[str]:
    """The IPv4 addresses of this machine's interfaces other than loopback (SIOCGIFADDR, as
    `ip -4 addr` reads them)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            try:
                answer = fcntl.ioctl(
                    probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
                )
            except OSError:  # an interface without an IPv4 address
                continue
            address = socket.inet_ntoa(answer[20:24])
            if not ip_address(address).is_loopback:
                found.append(address)
    return found
