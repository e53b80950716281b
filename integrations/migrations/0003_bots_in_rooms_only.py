# A bot's rooms are rooms: staff could once pick a direct conversation
# for a bot, which made the bot a member (taken out again by rooms 0012)
# and sent it every later message. Those picks are dropped; the field now
# offers rooms only. Migrating back puts nothing back: the picks were the mistake.

from django.db import migrations, models


def drop_conversations_from_bots(apps, schema_editor):
    Bot = apps.get_model("integrations", "Bot")
    Bot.rooms.through.objects.filter(room__kind="direct").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_direct_messages"),
        ("rooms", "0012_conversation_people_fixed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="bot",
            name="rooms",
            field=models.ManyToManyField(
                blank=True,
                help_text="Rooms it may post to.",
                limit_choices_to={"kind": "room"},
                related_name="bots",
                to="rooms.room",
            ),
        ),
        migrations.RunPython(drop_conversations_from_bots, migrations.RunPython.noop),
    ]
