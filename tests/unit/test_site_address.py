"""Links follow the configured site address, not port 8000 (issue 18, item 8).

``make run PORT=8101`` starts the product on another port; the embedded
default derives ``SITE_URL`` (and the hosts it answers to) from ``HOST`` and
``PORT``, which the Makefile passes on. An explicit ``SITE_URL`` wins.
"""

import json
import os
import subprocess
import sys

import pytest
from django.core import mail

from sparring.surveys import services as survey_services
from tests.unit.test_settings import NOT_INHERITED, ROOT

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({"site_url": settings.SITE_URL, "hosts": settings.ALLOWED_HOSTS}))
"""


def local_settings(env: dict, tmp_path) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED | {"HOST", "PORT"}}
    clean.pop("SITE_URL", None)
    clean.update(
        env, DJANGO_SETTINGS_MODULE="config.settings.local", SPARRING_VAR_DIR=str(tmp_path)
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "site_url", "host"),
    [
        ({}, "http://127.0.0.1:8000", "127.0.0.1"),
        ({"PORT": "8101"}, "http://127.0.0.1:8101", "127.0.0.1"),  # the field report
        ({"HOST": "localhost", "PORT": "8202"}, "http://localhost:8202", "localhost"),
        ({"HOST": "192.168.1.20", "PORT": "8000"}, "http://192.168.1.20:8000", "192.168.1.20"),
        ({"HOST": "::1", "PORT": "8101"}, "http://[::1]:8101", "::1"),
        # an explicit address wins over HOST and PORT
        (
            {"PORT": "8101", "SITE_URL": "https://sparraus.example.fi"},
            "https://sparraus.example.fi",
            "127.0.0.1",
        ),
    ],
)
def test_the_embedded_default_derives_the_site_address_from_host_and_port(
    env, site_url, host, tmp_path
):
    settings = local_settings(env, tmp_path)
    assert settings["site_url"] == site_url
    assert host in settings["hosts"] or "*" in settings["hosts"]


def test_a_command_beside_the_server_links_to_the_servers_address(tmp_path):
    """A stranger's finding: demo_advance run in another terminal (no HOST or PORT)
    linked to port 8000 while `make run PORT=8301` served on 8301. `make run` keeps its
    address in var/local-settings; commands without HOST, PORT or SITE_URL use it."""
    (tmp_path / "local-settings").write_text("http://127.0.0.1:8301\n")
    assert local_settings({}, tmp_path)["site_url"] == "http://127.0.0.1:8301"
    assert local_settings({"PORT": "8101"}, tmp_path)["site_url"] == "http://127.0.0.1:8101"
    (tmp_path / "local-settings").write_text("")  # an older marker: empty
    assert local_settings({}, tmp_path)["site_url"] == "http://127.0.0.1:8000"


def test_make_run_gives_the_product_its_address():
    """The Makefile derives SITE_URL from HOST and PORT and exports the three to the
    product's commands (the embedded default reads HOST for its allowed hosts)."""
    # Run as a user would, not with what an outer `make test` exported (SITE_URL, HOST, PORT).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "HOST", "PORT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    }
    out = subprocess.run(
        ["make", "-n", "run", "PORT=8101", "HOST=localhost"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "the product is at http://localhost:8101/" in out
    assert "runserver localhost:8101" in out
    makefile = (ROOT / "Makefile").read_text()
    assert "export SITE_URL" in makefile and "export HOST PORT" in makefile


@pytest.mark.django_db
def test_links_on_the_case_page_and_in_e_mail_use_the_site_address(
    reported_case, applicant, coordinator, client_for, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8101"
    page = client_for(applicant).get(f"/cases/{reported_case.pk}/").content.decode()
    assert "http://127.0.0.1:8101/survey/" in page
    assert "127.0.0.1:8000" not in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        survey_services.survey_add_participants(
            actor=applicant, case=reported_case, emails="osallistuja@example.invalid"
        )
    (message,) = mail.outbox
    assert "http://127.0.0.1:8101/survey/" in message.body
    assert "8000" not in message.body
