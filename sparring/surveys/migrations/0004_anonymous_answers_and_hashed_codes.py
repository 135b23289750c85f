# Issue 13: answers get random keys (copied in a random order), personal tokens are kept
# only as hashes of one-time codes, the shared case link and the per-person reminder
# time go. The figures stay as they were (the same answers, the same grades).

import hashlib
import random
import uuid

import django.db.models.deletion
from django.db import migrations, models

ANSWER_FIELDS = ("overall", "goal_reached", "facilitation", "usefulness", "best", "improve")


def code_hash(code):
    """As sparring.surveys.models.code_hash when this was written (normalised, SHA-256)."""
    normalised = "".join(ch for ch in code.upper() if ch not in " -\t\n")
    return hashlib.sha256(normalised.encode()).hexdigest()


def hash_link_tokens(apps, schema_editor):
    SurveyLink = apps.get_model("surveys", "SurveyLink")
    SurveyCode = apps.get_model("surveys", "SurveyCode")
    for link in SurveyLink.objects.exclude(token="").iterator():
        SurveyCode.objects.create(link=link, code_hash=code_hash(link.token))


def copy_answers_shuffled(apps, schema_editor):
    Old = apps.get_model("surveys", "SurveyAnswer")
    New = apps.get_model("surveys", "SurveyAnswerNew")
    rows = list(Old.objects.values("survey_id", *ANSWER_FIELDS))
    random.SystemRandom().shuffle(rows)
    New.objects.bulk_create([New(id=uuid.uuid4(), **row) for row in rows], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0003_survey_form_use"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="reminded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RemoveField(model_name="survey", name="token"),
        migrations.CreateModel(
            name="SurveyCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.CharField(max_length=64, unique=True)),
                (
                    "link",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="codes",
                        to="surveys.surveylink",
                    ),
                ),
            ],
            options={"verbose_name": "survey code", "verbose_name_plural": "survey codes"},
        ),
        migrations.RunPython(hash_link_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="surveylink", name="token"),
        migrations.RemoveField(model_name="surveylink", name="reminded_at"),
        migrations.RemoveConstraint(model_name="surveylink", name="one_link_per_address"),
        migrations.AlterField(
            model_name="surveylink", name="email", field=models.EmailField(blank=True, max_length=254)
        ),
        migrations.AddConstraint(
            model_name="surveylink",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email", ""), _negated=True),
                fields=("survey", "email"),
                name="one_link_per_address",
            ),
        ),
        migrations.CreateModel(
            name="SurveyAnswerNew",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("overall", models.PositiveSmallIntegerField(choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")], verbose_name="overall grade")),
                ("goal_reached", models.PositiveSmallIntegerField(blank=True, choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")], null=True, verbose_name="how well the goal was reached")),
                ("facilitation", models.PositiveSmallIntegerField(blank=True, choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")], null=True, verbose_name="facilitation")),
                ("usefulness", models.PositiveSmallIntegerField(blank=True, choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")], null=True, verbose_name="usefulness")),
                ("best", models.TextField(blank=True, max_length=2000, verbose_name="what was best")),
                ("improve", models.TextField(blank=True, max_length=2000, verbose_name="what to improve")),
                ("survey", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="surveys.survey")),
            ],
            options={"db_table": "sparring_surveyanswer_new"},
        ),
        migrations.RunPython(copy_answers_shuffled, migrations.RunPython.noop),
        migrations.DeleteModel(name="SurveyAnswer"),
        migrations.RenameModel(old_name="SurveyAnswerNew", new_name="SurveyAnswer"),
        migrations.AlterModelTable(name="surveyanswer", table="sparring_surveyanswer"),
        migrations.AlterField(
            model_name="surveyanswer",
            name="survey",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="answers", to="surveys.survey"),
        ),
        migrations.AlterModelOptions(
            name="surveyanswer",
            options={"verbose_name": "survey answer", "verbose_name_plural": "survey answers"},
        ),
        migrations.AddConstraint(
            model_name="surveyanswer",
            constraint=models.CheckConstraint(
                condition=models.Q(("overall__gte", 1), ("overall__lte", 5)), name="overall_grade_1_to_5"
            ),
        ),
    ]
