"""Security headers in the production settings (issue 15, item 4): a Content-Security-Policy
without 'unsafe-inline', Cache-Control: no-store on signed-in pages and private downloads,
a Permissions-Policy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def production_headers(tmp_path_factory) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-production-like-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "a.example",
        "SPARRING_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.unit.probes.headers"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize("answer", ["login", "page", "download"])
def test_every_answer_has_a_strict_policy(production_headers, answer):
    headers = production_headers[answer]
    assert headers["status"] == 200
    policy = directives(headers["csp"])
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        assert all(s == "'self'" or s.startswith("'nonce-") for s in policy[directive])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "camera=()" in headers["permissions"] and "geolocation=()" in headers["permissions"]
    assert headers["hsts"]


@pytest.mark.parametrize("answer", ["login", "page", "download"])
def test_nothing_is_kept_by_a_browser_or_a_proxy(production_headers, answer):
    assert "no-store" in production_headers[answer]["cache"]


@pytest.mark.django_db
def test_an_attachment_and_a_report_pdf_are_not_stored(draft_case, applicant, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sparring.cases import services

    attachment = services.attachment_add(
        actor=applicant,
        case=draft_case,
        upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    response = client_for(applicant).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Permissions-Policy" in response
    assert "Content-Security-Policy" in response
