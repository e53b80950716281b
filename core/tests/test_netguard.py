"""Only globally routable addresses may be called on a user's say-so; every
form that leads back inside (or through a relay to any IPv4 host) is refused."""

import pytest

from core import netguard

# (address as resolved, what the refusal calls it)
NOT_PUBLIC = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
    ("::ffff:10.0.0.1", "private"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::7f00:1", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "NAT64"),
    ("64:ff9b::5db8:d822", "NAT64"),  # a public IPv4 inside: still through a translator
    ("64:ff9b:1::a00:1", "NAT64"),
    ("2002:7f00:1::1", "6to4"),
    ("2002:5db8:d822::1", "6to4"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("10.1.2.3", "private"),
    ("172.16.5.4", "private"),
    ("192.168.0.10", "private"),
    ("fd00::1", "private"),  # unique local
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1", "link-local"),
    ("fe80::1%lo", "link-local"),
    ("100.64.0.1", "not globally routable"),  # shared address space (carrier-grade NAT)
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("198.18.0.1", "private"),  # benchmarking
    ("192.0.2.1", "private"),  # documentation
    ("198.51.100.7", "private"),
    ("203.0.113.9", "private"),
    ("2001:db8::1", "private"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("100::1", "reserved"),  # discard-only
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"]


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC)
def test_addresses_that_are_not_globally_routable_are_refused_saying_what_they_are(address, kind):
    assert kind in netguard.why_not_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert netguard.why_not_public(address) is None


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "localhost"])
def test_every_spelling_that_resolves_to_loopback_is_refused(host):
    with pytest.raises(netguard.NotPublic, match="loopback"):
        netguard.public_addresses(host, 80)


def test_a_name_that_does_not_resolve_is_refused_as_such():
    with pytest.raises(netguard.Unresolvable, match="does not resolve"):
        netguard.public_addresses("nothing.invalid", 80)


def test_internal_addresses_may_be_allowed_deliberately():
    assert netguard.public_addresses("127.0.0.1", 80, allow_internal=True) == ["127.0.0.1"]
