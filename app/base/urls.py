"""ALLOWED_ODOO_URLS entries: ``scheme://host[:port]`` patterns, parsed once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Pattern:
    """One ``scheme://host[:port]`` entry of ALLOWED_ODOO_URLS; host may start with ``*.``."""

    scheme: str
    host: str
    port: int

    def matches(self, scheme: str, host: str, port: int) -> bool:
        if (scheme, port) != (self.scheme, self.port):
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:]) and len(host) > len(self.host) - 1
        return host == self.host


def parse_pattern(text: str) -> Pattern:
    """A Pattern from ``text``, or ValueError saying what is wrong."""
    parts = urlsplit(text.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} has a bad port") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"{text!r} is not scheme://host[:port] with scheme http or https")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{text!r} must be only scheme://host[:port]")
    if "*" in host and not (host.startswith("*.") and "*" not in host[2:] and "." in host[2:]):
        raise ValueError(f"{text!r}: a wildcard must be a leading '*.' before a domain")
    return Pattern(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme])


def endpoint(url: str) -> tuple[str, str, int, SplitResult]:
    """``(scheme, host, port, parts)`` of a URL: host lowercased, the scheme's default port filled
    in, 0 for a port that is not a number (the policies then refuse it)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme, (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = 0
    return scheme, host, port, parts
