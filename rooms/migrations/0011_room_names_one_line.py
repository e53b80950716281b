# Room names and topics are one line of text from now on (core/text.py):
# a line break in a name made every email naming the room fail. Names and
# topics stored before the rule get each run of control characters and
# whitespace replaced by one space (a name left empty takes the slug).

import unicodedata

from django.db import migrations, models

import core.text


def _one_line(text):
    # As core.text.one_line stood when this was written (kept here: a
    # migration must not change when the code does).
    return " ".join("".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text).split())


def flatten_names(apps, schema_editor):
    Room = apps.get_model("rooms", "Room")
    changed = []
    # Direct conversations have neither name nor topic.
    for room in Room.objects.filter(kind="room").only("pk", "slug", "name", "topic").iterator():
        name, topic = _one_line(room.name) or room.slug, _one_line(room.topic)
        if (name, topic) != (room.name, room.topic):
            room.name, room.topic = name, topic
            changed.append(room)
    Room.objects.bulk_update(changed, ["name", "topic"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0010_room_kind_direct"),
    ]

    operations = [
        migrations.AlterField(
            model_name="room",
            name="name",
            field=models.CharField(max_length=80, validators=[core.text.validate_one_line]),
        ),
        migrations.AlterField(
            model_name="room",
            name="topic",
            field=models.CharField(blank=True, max_length=200, validators=[core.text.validate_one_line]),
        ),
        migrations.RunPython(flatten_names, migrations.RunPython.noop),
    ]
