"""Run as a program with the production settings: the security headers of a few answers.

Prints one JSON line: for each of an anonymous page, a signed-in page and a private
download, its Content-Security-Policy, Cache-Control and Permissions-Policy.
``tests/unit/test_security_headers.py`` runs it in a fresh ``SPARRING_VAR_DIR``.
"""

import json


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from sparring.accounts.services import user_create
    from sparring.models import User

    steering = user_create(
        actor=None,
        username="olli",
        email="olli@example.invalid",
        role=User.Role.STEERING,
        password="a-long-enough-password-2026",
    )
    client = Client(HTTP_HOST="a.example")
    answers = {"login": client.get("/accounts/login/", secure=True)}
    client.force_login(steering)
    answers["page"] = client.get("/statistics/", secure=True)
    answers["download"] = client.get("/statistics/", {"format": "csv"}, secure=True)
    print(
        json.dumps(
            {
                name: {
                    "status": r.status_code,
                    "csp": r.get("Content-Security-Policy", ""),
                    "cache": r.get("Cache-Control", ""),
                    "permissions": r.get("Permissions-Policy", ""),
                    "hsts": r.get("Strict-Transport-Security", ""),
                }
                for name, r in answers.items()
            }
        )
    )


if __name__ == "__main__":
    main()
