"""A minimal flow used only by the tests of the Celery bridge (installed by test settings)."""
