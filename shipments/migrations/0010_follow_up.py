from django.db import migrations, models
from django.db.models.functions import Coalesce
from django.utils import timezone

SCHEDULE = "shipments: follow up labels whose follow-up job was lost"


def mark_existing_followed_up(apps, schema_editor):
    """Labels bought before this release had their follow-up (or had it lost, long ago):
    none of them is followed up again, so no customer hears twice about an old parcel."""
    apps.get_model("shipments", "Shipment").objects.filter(
        status__in=["bought", "voiding", "voided"]
    ).update(followed_up_at=Coalesce("bought_at", models.Value(timezone.now())))


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE,
        defaults={
            "func": "shipments.jobs.sweep_follow_ups",
            "schedule_type": "I",
            "minutes": 5,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("shipments", "0009_batch_item_claims"),
        ("django_q", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="followed_up_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Before the index, so the index is built once over the few rows left unmarked.
        migrations.RunPython(mark_existing_followed_up, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                condition=models.Q(("followed_up_at__isnull", True), ("status", "bought")),
                fields=["bought_at"],
                name="shipment_follow_up_due",
            ),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
