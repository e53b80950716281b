"""Pushes as a push service receives them (a double on 127.0.0.1): encrypted
for the subscription's keys (aes128gcm, decrypted here as the browser
would), signed with the server's VAPID key (the JWT checked here against
its public key, for the service's origin); a gone subscription is
forgotten, a busy service tried again."""

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django_tasks_db.models import DBTaskResult

from push.models import PushSubscription
from rooms.models import Message, conversation_between

pytestmark = pytest.mark.django_db


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_claims(authorization, public_key):
    """The JWT's claims, once its ES256 signature checks out against `public_key`
    (RFC 8292: Authorization: vapid t=<JWT>, k=<public key>)."""
    scheme, _, params = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == public_key
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    key.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )  # raises InvalidSignature
    return json.loads(unb64(claims))


def post(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def test_a_mention_reaches_the_device_encrypted_and_signed(
    alice, bob, lobby, device, push_service, push_on, run_tasks, django_capture_on_commit_callbacks
):
    browser = device(alice)
    message = post(lobby, bob, "@alice the deploy <is> green " + "x" * 300, django_capture_on_commit_callbacks)
    run_tasks()
    [(path, headers, body)] = push_service.received
    assert path == "/send/alice"
    assert headers["Content-Encoding"] == "aes128gcm" and headers["TTL"] == "86400" and headers["Urgency"] == "high"
    claims = verified_claims(headers["Authorization"], push_on.VAPID_PUBLIC_KEY)
    assert claims["aud"] == push_service.origin and claims["sub"] == "https://chat.example.com"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert browser.read(body) == {
        "author": "bob",
        "room": "# Lobby",
        "direct": False,
        "mention": True,
        "text": "@alice the deploy <is> green " + "x" * 110 + "…",
        "url": f"/rooms/lobby/messages/{message.pk}/",
        "tag": f"message-{message.pk}",
    }
    assert PushSubscription.objects.get().last_pushed_at is not None


def test_a_direct_message_names_the_conversation_as_its_reader_sees_it_and_the_text_can_stay_out(
    alice, bob, carol, device, push_service, push_on, run_tasks, django_capture_on_commit_callbacks
):
    push_on.CHAT_PUSH_PREVIEW = False
    browser = device(alice)
    conversation = conversation_between(bob, [alice, carol])[0]
    message = post(conversation, bob, "the salary numbers", django_capture_on_commit_callbacks)
    run_tasks()
    [(_, _, body)] = push_service.received
    assert browser.read(body) == {
        "author": "bob",
        "room": "bob, carol",
        "direct": True,
        "mention": False,
        "text": "",
        "url": f"/dm/{conversation.pk}/messages/{message.pk}/",
        "tag": f"message-{message.pk}",
    }
    assert b"salary" not in body


def test_every_device_of_the_person_gets_it(
    alice, bob, lobby, device, push_service, run_tasks, django_capture_on_commit_callbacks
):
    phone, laptop = device(alice, "phone"), device(alice, "laptop")
    post(lobby, bob, "@alice both", django_capture_on_commit_callbacks)
    run_tasks()
    bodies = {path: body for path, _, body in push_service.received}
    assert phone.read(bodies["/send/phone"])["text"] == laptop.read(bodies["/send/laptop"])["text"] == "@alice both"


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_service_says_is_gone_is_forgotten(
    status, alice, bob, lobby, device, push_service, run_tasks, django_capture_on_commit_callbacks
):
    device(alice)
    push_service.status = status
    post(lobby, bob, "@alice hello?", django_capture_on_commit_callbacks)
    run_tasks()
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing to try again


def test_a_busy_push_service_is_tried_again_and_the_device_kept(
    alice, bob, lobby, device, push_service, run_tasks, django_capture_on_commit_callbacks
):
    browser = device(alice)
    push_service.status = 503
    post(lobby, bob, "@alice hello?", django_capture_on_commit_callbacks)
    run_tasks()
    assert len(push_service.received) == 1 and PushSubscription.objects.exists()
    push_service.status = 201
    run_tasks(later=True)
    assert len(push_service.received) == 2
    assert browser.read(push_service.received[1][2])["text"] == "@alice hello?"


def test_an_endpoint_that_now_resolves_to_a_private_address_is_not_called(
    alice, bob, lobby, device, push_service, push_on, run_tasks, django_capture_on_commit_callbacks
):
    device(alice)
    # Saved while its name resolved to a public address; now it resolves to 127.0.0.1.
    PushSubscription.objects.update(endpoint=f"https://127.0.0.1:{push_service.httpd.server_port}/send/alice")
    push_on.CHAT_PUSH_ALLOW_PRIVATE = False
    post(lobby, bob, "@alice hello?", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    assert push_service.received == []
    [failed] = DBTaskResult.objects.filter(task_path="push.tasks.deliver_push")
    assert failed.status == "FAILED" and "loopback address" in failed.traceback
