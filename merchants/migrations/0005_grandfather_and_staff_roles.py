"""Existing people keep what they could do the day roles and e-mail confirmation arrived.

- Every existing user counts as confirmed (grandfathered): they signed up before ShipDesk
  asked, and their stores already hold carrier accounts and money.
- "staff" becomes "admin", not "shipper": until now staff could do everything but edit the
  company details (connect carriers, add funds, write rules). Making them shippers would take
  funds and carrier settings away from people who may be running them, silently, on deploy;
  the owner can lower anyone to shipper or viewer on the Members page.
"""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("shipdesk", "Profile")
    Membership = apps.get_model("shipdesk", "Membership")
    now = timezone.now()
    have = set(Profile.objects.values_list("user_id", flat=True))
    Profile.objects.bulk_create(
        [
            Profile(user_id=pk, confirmed_email=(email or "").lower(), confirmed_at=now)
            for pk, email in User.objects.exclude(pk__in=have).values_list("pk", "email")
        ],
        batch_size=1000,
    )
    Membership.objects.filter(role="staff").update(role="admin")


def backwards(apps, schema_editor):
    Membership = apps.get_model("shipdesk", "Membership")
    Membership.objects.filter(role__in=["admin", "shipper", "viewer"]).update(role="staff")


class Migration(migrations.Migration):
    dependencies = [("shipdesk", "0004_profile_and_roles"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(forwards, backwards)]
