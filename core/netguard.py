"""Which addresses the server may connect to when a user chose the URL (a
bot's webhook, and anything else that calls out on someone's say-so): only
globally routable ones, so nobody reaches the server's own network (SSRF:
loopback services, a cloud's metadata at 169.254.169.254, private hosts).

The decision is the ipaddress module's (is_global and the other
properties, kept current with IANA's special-purpose registries), not a
list of our own, with two things it does not judge for us:

- IPv6 forms that carry an IPv4 address. An IPv4-mapped address
  (::ffff:a.b.c.d) is that IPv4 address, judged as one. Translation and
  tunnel prefixes (NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16,
  Teredo 2001::/32) lead to an IPv4 host through a relay we do not control,
  perhaps one inside the network: refused whatever they carry, as are the
  deprecated IPv4-compatible ::a.b.c.d.
- Multicast addresses count as global; nothing we call is multicast.

Names are resolved here once and every answer must pass: a caller then
connects to an address it was given, not to a second lookup's answer (a
name can resolve elsewhere a second later).
"""

import ipaddress
import socket

# Well-known NAT64 prefixes (RFC 6052, RFC 8215): ipaddress has no property for them.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class RefusedAddress(ValueError):
    """The host may not be called; the message says why, for the person who chose it."""


class Unresolvable(RefusedAddress):
    pass


class NotPublic(RefusedAddress):
    pass


def why_not_public(address):
    """Why `address` (a string, as getaddrinfo answers) may not be connected
    to, as a phrase ("a loopback address"), or None for a public one."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return why_not_public(str(ip.ipv4_mapped))
        if any(ip in network for network in NAT64):
            return "a NAT64 address (it leads to an IPv4 host through a translator)"
        if ip.sixtofour is not None:
            return "a 6to4 address (it leads to an IPv4 host through a relay)"
        if ip.teredo is not None:
            return "a Teredo address (it leads to an IPv4 host through a relay)"
        if ip.packed[:12] == bytes(12) and int(ip) > 1:
            return "an IPv4-compatible address (deprecated; it carries an IPv4 address)"
    for phrase, applies in (
        ("an unspecified address", ip.is_unspecified),
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved),
        ("a private address", ip.is_private),
        # What is left: shared address space (100.64.0.0/10, carrier-grade NAT) and the like.
        ("an address that is not globally routable", not ip.is_global),
    ):
        if applies:
            return phrase
    return None


def public_addresses(host, port, allow_internal=False):
    """Every address `host` resolves to, for a TCP connection to `port`;
    raises Unresolvable, or NotPublic when any of them is not public (unless
    `allow_internal`: tests, or a deliberate choice of the operator)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"{host} does not resolve: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_internal:
        for address in addresses:
            reason = why_not_public(address)
            if reason is not None:
                raise NotPublic(f"{host} resolves to {address}, {reason}")
    return addresses
