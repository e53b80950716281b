# Devices that get pushes: one row per browser push subscription (push/models.py).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PushSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("endpoint", models.URLField(max_length=1024, unique=True)),
                ("p256dh", models.CharField(max_length=100)),
                ("auth", models.CharField(max_length=50)),
                ("server_key", models.CharField(max_length=100)),
                (
                    "device",
                    models.CharField(
                        help_text="What the browser said it is, for its person's list.",
                        max_length=100,
                        verbose_name="device",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_pushed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="push_subscriptions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "push subscription",
                "ordering": ["-created_at", "-pk"],
            },
        ),
    ]
