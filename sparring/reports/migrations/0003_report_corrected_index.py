"""A partial index of the corrected reports filed (issue 17): the background page counts
and lists those without a PDF (``workflow.reconcile.missing_report_pdfs``) from it
instead of scanning every report."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_timestamps_from_the_products_clock'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='report',
            index=models.Index(condition=models.Q(('revision__gte', 2), ('status', 'submitted')), fields=['submitted_at', 'id'], name='report_corrected_submitted'),
        ),
    ]
