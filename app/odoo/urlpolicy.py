"""Which Odoo URLs the gateway may call: an optional allow-list, and never cloud metadata.

Two checks, both before any byte is sent to Odoo:

- ``UrlPolicy.check(url)``, at minting and on every call: the URL must match ``ALLOWED_ODOO_URLS``
  (when set), and no address its host resolves to may be link-local or a metadata address
  (unless ``ALLOW_PRIVATE_ODOO``). Resolutions are cached for a few seconds.
- ``UrlPolicy.guard_socket(sock)``, when a connection to Odoo opens: the address actually
  connected to is checked again, so a DNS answer that changes between the check and the connect
  (DNS rebinding) cannot reach a metadata address either.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable

from cachetools import TTLCache

from app.base.errors import UrlNotAllowed
from app.base.urls import endpoint, parse_pattern

# Link-local (where AWS, GCP, Azure and OpenStack serve instance metadata and credentials),
# AWS's IPv6 metadata address, and Alibaba Cloud's metadata address.
BLOCKED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32",
))
def blocked(address: str) -> bool:
    """Whether ``address`` (an IP, maybe IPv6 with a zone) is link-local or a metadata address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an IP we can judge: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in BLOCKED_NETWORKS)


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address ``host`` resolves to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()  # the call itself will fail with the one "could not reach" message
    return tuple(sorted({str(info[4][0]) for info in infos}))


class UrlPolicy:
    """Decides whether the gateway may talk to an Odoo URL."""

    def __init__(self, patterns: Iterable[str] = (), allow_private: bool = False,
                 cache_seconds: float = 10.0) -> None:
        self.patterns = tuple(parse_pattern(p) for p in patterns)
        self.allow_private = allow_private
        self._resolved: TTLCache[tuple[str, int], bool] = TTLCache(4096, cache_seconds)
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        """Raise UrlNotAllowed unless ``url`` may be called."""
        scheme, host, port, _ = endpoint(url)
        if self.patterns and not any(p.matches(scheme, host, port) for p in self.patterns):
            raise UrlNotAllowed(
                f"This gateway does not call Odoo at {scheme}://{host}:{port}: it is not in "
                "ALLOWED_ODOO_URLS (ask the operator to add it)."
            )
        if not self.allow_private and self._blocked(host, port):
            raise UrlNotAllowed(_METADATA.format(host=host))

    def guard_socket(self, sock: socket.socket) -> None:
        """Raise UrlNotAllowed when ``sock`` is connected to a blocked address."""
        if self.allow_private:
            return
        peer = sock.getpeername()
        address = str(peer[0]) if isinstance(peer, tuple) else ""
        if blocked(address):
            raise UrlNotAllowed(_METADATA.format(host=address))

    def _blocked(self, host: str, port: int) -> bool:
        """Whether ``host`` resolves to a blocked address; resolution and verdict cached together
        (judging each address again on every call cost more than the cache look-up)."""
        with self._lock:
            cached = self._resolved.get((host, port))
        if cached is not None:
            return cached
        verdict = any(blocked(a) for a in resolve(host, port))  # network call: no lock held
        with self._lock:
            self._resolved[(host, port)] = verdict
        return verdict


def guarded_connect(guard: Callable[[socket.socket], None]) -> Callable[..., socket.socket]:
    """A ``create_connection`` for http.client that checks the connected peer with ``guard``.

    Checking the address actually connected to (not only the one resolved earlier) defeats DNS
    rebinding; it runs before any byte of the request is sent.
    """

    def connect(address, timeout=socket.getdefaulttimeout(), source_address=None):  # noqa: B008
        sock = socket.create_connection(address, timeout, source_address)
        try:
            guard(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    return connect



def guarded_connection(scheme: str, netloc: str, timeout: float,
                       guard: Callable[[socket.socket], None] | None) -> http.client.HTTPConnection:
    """An HTTP(S) connection to ``netloc`` (not yet open) whose socket ``guard`` checks."""
    if scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            netloc, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(netloc, timeout=timeout)
    if guard is not None:
        connection._create_connection = guarded_connect(guard)  # type: ignore[attr-defined]
    return connection

_METADATA = (
    "This gateway does not call {host}: it is (or resolves to) a link-local or cloud metadata "
    "address. An operator can allow it with ALLOW_PRIVATE_ODOO=true."
)
