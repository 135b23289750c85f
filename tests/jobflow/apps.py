from django.apps import AppConfig


class JobflowConfig(AppConfig):
    name = "tests.jobflow"
    label = "jobflow"
