from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    # (name, func, every N minutes)
    ("funding: auto-funding check", "funding.jobs.check_all_auto_funding", 5),
    ("funding: follow unsettled purchases", "funding.jobs.sweep_purchases", 5),
    ("funding: reconcile ledgers with Stamps.com", "funding.jobs.reconcile_all", 60),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": "I",
                "minutes": minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0001_initial"),
        ("django_q", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, remove)]
