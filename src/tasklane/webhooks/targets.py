"""Where a webhook may send: http(s) URLs whose host resolves only to public addresses. A
name is resolved at registration and again at each delivery, and the request goes to the
address that was checked (the Host header and TLS name stay the URL's), so a name that
changes its answer between the check and the call (DNS rebinding) cannot reach inside.
Redirects are never followed. `webhook_allow_private` lifts the address rule (tests)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be called; the message says why, for the person who registered it."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    """The URL with its host replaced by the checked address."""
    host_header: str
    sni_hostname: str | None


def check_url(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise Refused("The URL is not valid.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Use an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise Refused("Put no user or password in the URL: deliveries are signed instead.")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise Refused("The URL's port is not valid.") from exc
    return parts


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any: such an
    address reaches that IPv4 one through a gateway."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _blocked(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL or address in _SITE_LOCAL:
            return True
        inner = _embedded(address)
        if inner is not None:
            return _blocked(inner)
    return not address.is_global or address.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The address to call for `url`; Refused when it is not allowed or does not resolve."""
    parts = check_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise Refused(f"The host {host} does not resolve.") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    if not addresses:
        raise Refused(f"The host {host} does not resolve.")
    if not allow_private:
        for address in addresses:
            if _blocked(address):
                raise Refused(
                    f"{host} resolves to {address}, a private, loopback, link-local or "
                    "reserved address: webhooks only call public addresses."
                )
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return Target(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=parts.netloc,
        sni_hostname=host if parts.scheme == "https" else None,
    )
