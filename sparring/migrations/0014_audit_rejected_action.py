"""Rejections were recorded as 'case_rejectd' (a typo in the service); store the
value of AuditAction.CASE_REJECTED instead, so the timeline can label them."""

from django.db import migrations


def fix_rejected(apps, schema_editor):
    AuditEvent = apps.get_model("sparring", "AuditEvent")
    AuditEvent.objects.filter(action="case_rejectd").update(action="case_rejected")


class Migration(migrations.Migration):
    dependencies = [
        ("sparring", "0013_timestamps_from_the_products_clock"),
    ]

    operations = [
        migrations.RunPython(fix_rejected, migrations.RunPython.noop, elidable=True),
    ]
