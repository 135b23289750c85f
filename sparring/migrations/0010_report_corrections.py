"""Report drafts and corrections: the report gets a status and a revision; each PDF
records what made it (the flow task or a corrected revision) instead of a task id."""

from django.db import migrations, models


def fill_source(apps, schema_editor):
    ReportDocument = apps.get_model("sparring", "ReportDocument")
    for document in ReportDocument.objects.all():
        document.source = f"task:{document.source_task}"
        document.save(update_fields=["source"])


def mark_filed(apps, schema_editor):
    Report = apps.get_model("sparring", "Report")
    Report.objects.filter(submitted_at__isnull=False).update(status="submitted", revision=1)


class Migration(migrations.Migration):
    dependencies = [("sparring", "0009_feedback_survey")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("submitted", "Filed"), ("returned", "Returned for correction")],
                default="draft",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="revision",
            field=models.PositiveSmallIntegerField(default=0, help_text="Raised each time the report is filed."),
        ),
        migrations.AddField(
            model_name="report",
            name="correction_comment",
            field=models.TextField(blank=True, max_length=4000, verbose_name="what to correct"),
        ),
        migrations.RunPython(mark_filed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="report",
            name="participants",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="participants"),
        ),
        migrations.AlterField(
            model_name="report",
            name="refined_goal",
            field=models.TextField(blank=True, max_length=4000, verbose_name="refined goal"),
        ),
        migrations.AlterField(
            model_name="report",
            name="implementation",
            field=models.TextField(blank=True, max_length=8000, verbose_name="how the sparring was carried out"),
        ),
        migrations.AlterField(
            model_name="report",
            name="themes_covered",
            field=models.TextField(blank=True, max_length=8000, verbose_name="themes and matters covered"),
        ),
        migrations.AlterField(
            model_name="report",
            name="results",
            field=models.TextField(blank=True, max_length=8000, verbose_name="results achieved"),
        ),
        migrations.AlterField(
            model_name="report",
            name="follow_up",
            field=models.TextField(blank=True, max_length=8000, verbose_name="recommended follow-up"),
        ),
        migrations.AddField(
            model_name="reportdocument",
            name="source",
            field=models.CharField(max_length=60, null=True),
        ),
        migrations.RunPython(fill_source, migrations.RunPython.noop),
        migrations.RemoveField(model_name="reportdocument", name="source_task"),
        migrations.AlterField(
            model_name="reportdocument",
            name="source",
            field=models.CharField(
                help_text="What made it (the flow task, or a corrected revision): a redelivered job finds its own PDF.",
                max_length=60,
                unique=True,
            ),
        ),
    ]
