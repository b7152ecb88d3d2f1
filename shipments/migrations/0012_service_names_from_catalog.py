from django.db import migrations

# The catalog's names as of this migration (orders.catalog.Service): labels bought before it
# kept the carrier's wording without "USPS " ("Ground Advantage"), which the order list names
# "USPS Ground Advantage". Copied here so later renames in the catalog don't rewrite history.
CATALOG_NAMES = {
    "US-GA": "USPS Ground Advantage",
    "US-FC": "First-Class Mail",
    "US-PM": "Priority Mail",
    "US-XM": "Priority Mail Express",
    "US-MM": "Media Mail",
    "US-PS": "Parcel Select Ground",
    "US-FCI": "First-Class Mail International",
    "US-PMI": "Priority Mail International",
    "US-EMI": "Priority Mail Express International",
    "SC-GPP": "GlobalPost Standard International",
    "SC-GPE": "GlobalPost Economy International",
    "SC-GPPSS": "GlobalPost Standard International SmartSaver",
    "SC-GPESS": "GlobalPost Economy International SmartSaver",
}


def name_from_catalog(apps, schema_editor):
    Shipment = apps.get_model("shipments", "Shipment")
    for code, name in CATALOG_NAMES.items():
        Shipment.objects.filter(service=code).exclude(service_name=name).update(service_name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0011_plain_indexes"),
    ]

    operations = [migrations.RunPython(name_from_catalog, migrations.RunPython.noop)]
