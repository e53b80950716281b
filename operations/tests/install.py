"""One install of the chat, driven by the backup tests in a process of its
own (DATABASE_URL and MEDIA_ROOT from the environment, as a deploy's):

    python -m operations.tests.install seed       people, rooms, messages, files, reactions, replies, a bot
    python -m operations.tests.install post STOP  posts until the file STOP exists (at most 400 messages, 60 s)
    python -m operations.tests.install describe   everything a person could notice, as JSON on stdout
"""

import hashlib
import io
import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.contrib.auth import authenticate, get_user_model  # noqa: E402
from django.core import serializers  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402

from files.models import Attachment  # noqa: E402
from integrations.models import BadToken, Bot  # noqa: E402
from notifications.models import NotificationSettings  # noqa: E402
from operations import snapshot, stored  # noqa: E402
from rooms.models import Message, Room, conversation_between  # noqa: E402
from search.engine import search  # noqa: E402
from search.query import parse  # noqa: E402

PASSWORDS = {"alice": "pw-alice-backup", "bob": "pw-bob-backup", "carol": "pw-carol-backup"}
SEARCHES = ["staging", "report", "deploy", '"quarterly numbers"', "secret"]
POSTS, POST_SECONDS = 400, 60


def png(color):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def seed():
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORDS["alice"], is_staff=True)
    bob = users.create_user("bob", password=PASSWORDS["bob"])
    carol = users.create_user("carol", password=PASSWORDS["carol"], email="carol@example.com")
    lobby = Room.objects.ensure_lobby()[0]
    secret = Room.objects.create(name="Secret", slug="secret", is_private=True)
    secret.members.add(alice, bob)
    old = Room.objects.create(name="Old", slug="old")

    first = Message.objects.post(lobby, alice, "The staging password rotates on Fridays")
    Message.objects.post(lobby, bob, "@alice which staging box?", reply_to=first.pk)
    first.toggle_reaction(bob, "👍")
    first.toggle_reaction(carol, "🎉")
    Message.objects.post(secret, alice, "the secret plan: quarterly numbers on Monday")
    Message.objects.post(old, carol, "an old thread about the deploy")
    old.is_archived = True
    old.save()
    conversation = conversation_between(alice, [bob])[0]
    Message.objects.post(conversation, bob, "a direct word about the report")
    Attachment.objects.post(
        lobby,
        alice,
        "the report and a photo",
        [
            SimpleUploadedFile("report.pdf", b"%PDF-1.4 the quarterly report\n" * 50, content_type="application/pdf"),
            png((200, 30, 30)),
        ],
    )
    Attachment.objects.post(conversation, alice, "", [png((30, 200, 30))])
    bot, token = Bot.objects.create_bot("deploybot", rooms=[lobby])
    Message.objects.post(lobby, bot.user, "deploy finished")
    NotificationSettings.objects.update_or_create(user=carol, defaults={"email_unread_mentions_and_dms": False})
    print(json.dumps({"bot_token": token, "messages": Message.objects.count()}))


def post(stop):
    """Post in the lobby, one message after another (every fifth with a file),
    until `stop` exists: the backup runs meanwhile."""
    alice = get_user_model().objects.get(username="alice")
    lobby = Room.objects.get(slug="lobby")
    deadline, posted = time.monotonic() + POST_SECONDS, 0
    while posted < POSTS and time.monotonic() < deadline and not os.path.exists(stop):
        if posted % 5 == 0:
            Attachment.objects.post(lobby, alice, f"during the backup {posted}", [png((posted % 256, 0, 0))])
        else:
            Message.objects.post(lobby, alice, f"during the backup {posted}")
        posted += 1
        print(posted, flush=True)
        time.sleep(0.01)


def rows():
    """Every row of every model, as Django serializes it, in primary key order."""
    return {
        model._meta.label_lower: json.loads(serializers.serialize("json", model._base_manager.order_by("pk")))
        for model in snapshot.counted_models()
    }


def stored_files():
    root = stored.storage().location
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as fileobj:
                found[os.path.relpath(path, root)] = hashlib.sha256(fileobj.read()).hexdigest()
    return found


def what_alice_sees(token):
    """Her pages, files and search as she gets them, signed in with her password."""
    browser = Client()
    assert browser.login(username="alice", password=PASSWORDS["alice"])
    pages = {url: browser.get(url).status_code for url in ("/", "/rooms/lobby/", "/rooms/secret/", "/rooms/old/")}
    downloads = {}
    for attachment in Attachment.objects.order_by("pk")[:3]:
        response = browser.get(attachment.get_absolute_url())
        body = b"".join(response.streaming_content) if response.streaming else response.content
        downloads[attachment.get_absolute_url()] = [response.status_code, hashlib.sha256(body).hexdigest()]
    alice = get_user_model().objects.get(username="alice")
    searches = {line: [result.message.pk for result in search(alice, parse(line)).results] for line in SEARCHES}
    try:
        bot = Bot.objects.authenticate(f"Bearer {token}").name
    except BadToken as refusal:
        bot = f"refused: {refusal}"
    return {
        "pages": pages,
        "downloads": downloads,
        "search": searches,
        "bot": bot,
        "passwords": {
            name: authenticate(username=name, password=password) is not None for name, password in PASSWORDS.items()
        },
    }


def describe(token):
    print(json.dumps({"rows": rows(), "files": stored_files(), "seen": what_alice_sees(token)}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "seed":
        seed()
    elif command == "post":
        post(sys.argv[2])
    elif command == "describe":
        describe(sys.argv[2])
