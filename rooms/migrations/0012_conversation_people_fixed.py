# A conversation's members are the people its direct_key names, set when it
# starts. Before that rule was enforced (rooms/models/direct.py,
# check_people_fixed), staff could add someone later, a bot through its
# rooms among them; those members are taken out again. Not reversible: who
# was added by mistake is not put back when migrating back.

from django.db import migrations

BATCH = 1000


def remove_people_added_later(apps, schema_editor):
    Member = apps.get_model("rooms", "Room").members.through
    rows = Member.objects.filter(room__kind="direct").values_list("pk", "user_id", "room__direct_key")
    added = [pk for pk, user_id, key in rows.iterator() if str(user_id) not in key.split("-")]
    for start in range(0, len(added), BATCH):
        Member.objects.filter(pk__in=added[start : start + BATCH]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0011_room_names_one_line"),
    ]

    operations = [
        migrations.RunPython(remove_people_added_later, migrations.RunPython.noop),
    ]
