# Per room, what of it reaches a person who is not looking: all messages,
# mentions only, or nothing (muted). Rooms nobody chose for keep their
# kind's default (notifications/preferences.py): no rows to add.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_confirmed_addresses"),
        ("rooms", "0013_message_text_validator"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RoomPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "level",
                    models.CharField(choices=[("all", "All messages"), ("mentions", "Mentions only")], max_length=10),
                ),
                ("muted", models.BooleanField(default=False)),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="preferences", to="rooms.room"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="room_preferences",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "room notification preference",
                "indexes": [models.Index(fields=["room", "level", "muted"], name="room_preference_listeners")],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "room"), name="room_preference_unique_user_room")
                ],
            },
        ),
    ]
