"""The server's VAPID pair: `manage.py vapid_keys` prints one in the two
lines the environment takes, and a deploy with a broken pair is told."""

import io
import re

from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from py_vapid.utils import b64urldecode

from push import vapid
from push.checks import vapid_keys


def printed_pair():
    out = io.StringIO()
    call_command("vapid_keys", stdout=out)
    return out.getvalue()


def test_vapid_keys_prints_a_p256_pair_as_two_environment_lines():
    printed = printed_pair()
    match = re.fullmatch(r"VAPID_PUBLIC_KEY=([A-Za-z0-9_-]+)\nVAPID_PRIVATE_KEY=([A-Za-z0-9_-]+)\n", printed)
    assert match, printed
    public, private = (b64urldecode(part.encode()) for part in match.groups())
    assert len(public) == 65 and public[0] == 4 and len(private) == 32
    # The public key is the private key's point, as a browser's applicationServerKey takes it.
    key = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    assert vapid.public_of(key) == match.group(1)
    assert printed_pair() != printed  # a new pair each time


def test_a_pair_from_the_command_passes_the_deploy_check(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid.new_pair()
    assert vapid_keys(None) == []


def test_one_key_alone_or_keys_of_two_pairs_fail_the_deploy_check(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid.new_pair()[0], ""
    assert [e.id for e in vapid_keys(None)] == ["push.E001"]
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid.new_pair()[0], vapid.new_pair()[1]
    [error] = vapid_keys(None)
    assert error.id == "push.E002" and "not the public key of VAPID_PRIVATE_KEY" in error.msg
    settings.VAPID_PRIVATE_KEY = "c2hvcnQ"  # base64url of 5 bytes
    [error] = vapid_keys(None)
    assert error.msg == "VAPID_PRIVATE_KEY holds 5 bytes, not the 32 of a P-256 key."


def test_without_keys_push_is_off_and_nothing_is_checked(settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    assert not vapid.configured()
    assert vapid_keys(None) == []
