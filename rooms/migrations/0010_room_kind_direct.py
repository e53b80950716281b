# Direct messages: a conversation is a private room of the
# "direct" kind, one per set of participants (the unique direct_key); staff
# see conversations (not their messages) in the admin through a proxy model.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0009_message_reply_to_reaction"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Conversation",
            fields=[],
            options={
                "verbose_name": "direct conversation",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("rooms.room",),
        ),
        migrations.AddField(
            model_name="room",
            name="direct_key",
            field=models.CharField(blank=True, editable=False, max_length=200, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="room",
            name="kind",
            field=models.CharField(
                choices=[("room", "room"), ("direct", "direct conversation")],
                default="room",
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="room",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("direct_key__isnull", True), ("kind", "room")),
                    models.Q(("direct_key__isnull", False), ("is_private", True), ("kind", "direct")),
                    _connector="OR",
                ),
                name="room_direct_is_private_with_key",
            ),
        ),
    ]
