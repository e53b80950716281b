# Addresses are confirmed before they get emails. Addresses stored before
# this have confirmed_email empty: every one of them is unconfirmed, and
# gets nothing until its person confirms it from Settings (docs/security.md,
# "Email"): nobody ever proved they were
# typed by their owner.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_direct_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="notificationsettings",
            name="confirmation_sent_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="notificationsettings",
            name="confirmation_sent_to",
            field=models.EmailField(blank=True, editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name="notificationsettings",
            name="confirmations_sent",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="notificationsettings",
            name="confirmed_email",
            field=models.EmailField(blank=True, editable=False, max_length=254),
        ),
        migrations.AlterField(
            model_name="notificationsettings",
            name="email_mentions",
            field=models.BooleanField(
                default=True, verbose_name="Email me about mentions and direct messages I have not read"
            ),
        ),
    ]
