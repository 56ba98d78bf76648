"""Loaded only by the offline test (its folder is put first on the server's PYTHONPATH):
every attempt of the process to reach a host that is not this machine, by name lookup or
by connecting a socket, is written to $NETSPY_LOG and refused, as on an air-gapped site."""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket

_LOG = os.environ.get("NETSPY_LOG")
_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "0.0.0.0", "::"}


def _is_local(host: object) -> bool:
    name = str(host or "").strip("[]").split("%")[0].lower()
    if name in _LOCAL_NAMES or name == socket.gethostname().lower():
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _record(kind: str, host: object, port: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"kind": kind, "host": str(host), "port": str(port), "pid": os.getpid()}) + "\n")


if _LOG:
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _sendto = socket.socket.sendto

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_local(host if not isinstance(host, bytes) else host.decode()):
            _record("getaddrinfo", host, port)
            raise socket.gaierror(socket.EAI_NONAME, "outbound lookups are blocked in this test")
        return _getaddrinfo(host, port, *args, **kwargs)

    def _guard(sock: socket.socket, address: object, kind: str) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _is_local(address[0]):
            _record(kind, address[0], address[1])
            raise OSError(errno.ENETUNREACH, "outbound connections are blocked in this test")

    def connect(self, address):  # type: ignore[no-untyped-def]
        _guard(self, address, "connect")
        return _connect(self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        _guard(self, address, "connect")
        return _connect_ex(self, address)

    def sendto(self, data, *args):  # type: ignore[no-untyped-def]
        _guard(self, args[-1], "sendto")
        return _sendto(self, data, *args)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    _record("loaded", "", "")  # the test checks the spy was active in the server
