# The shared-link survey form's one-time token: a form sent twice is one answer (issue 11).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0002_timestamps_from_the_products_clock'),
    ]

    operations = [
        migrations.CreateModel(
            name='SurveyFormUse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.UUIDField(editable=False, unique=True)),
                ('survey', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='surveys.survey')),
            ],
            options={
                'verbose_name': 'survey form use',
                'verbose_name_plural': 'survey form uses',
            },
        ),
    ]
