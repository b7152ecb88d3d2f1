from django.db import migrations
from django.utils import timezone

NAME = "endofday: automatic SCAN forms at each location's cut-off"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "endofday.jobs.create_automatic_scan_forms",
            "schedule_type": "I",
            "minutes": 5,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("endofday", "0001_initial"),
        ("django_q", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, remove)]
