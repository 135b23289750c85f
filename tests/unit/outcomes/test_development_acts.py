"""Development acts: consent, no personal data, approval, withdrawal, the public page
and its feed, and who may do what."""

import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from sparring.cases.states import CaseStatus
from sparring.models import AuditEvent, Case, OutboundEmail
from sparring.outcomes import selectors, services
from sparring.outcomes.models import DevelopmentAct

ATOM = "{http://www.w3.org/2005/Atom}"

TEXTS = {
    "title": "Yhteiset pelisäännöt osastolle",
    "what_was_done": "Kaksi työpajaa, joissa koko henkilöstö sopi työnjaosta.",
    "what_changed": "Vuorolistat tehdään yhdessä ja palaverit ovat lyhyempiä.",
}


@pytest.fixture
def closed_case(submitted_case) -> Case:
    Case.objects.filter(pk=submitted_case.pk).update(status=CaseStatus.CLOSED)
    submitted_case.refresh_from_db()
    return submitted_case


def submit(case, actor, **overrides):
    data = {**TEXTS, "consent": True, **overrides}
    return services.act_submit(actor=actor, case=case, **data)


def test_an_applicant_publishes_an_act_of_a_closed_case_after_approval(
    closed_case, applicant, coordinator
):
    act = submit(closed_case, applicant)
    assert act.status == DevelopmentAct.Status.SUBMITTED
    assert act.organisation_name == closed_case.organisation.display_name("fi")
    assert (act.theme, act.sector) == (closed_case.theme, closed_case.sector)
    assert act.consent_by == applicant
    assert not selectors.published_acts().exists()
    assert OutboundEmail.objects.filter(to=coordinator.email).exists()

    services.act_publish(actor=coordinator, act=act, version=act.version)
    act.refresh_from_db()
    assert act.status == DevelopmentAct.Status.PUBLISHED and act.published_at
    assert list(selectors.published_acts()) == [act]
    assert OutboundEmail.objects.filter(to=applicant.email).exists()
    actions = list(closed_case.events.values_list("action", flat=True))
    assert actions[-2:] == ["act_submitted", "act_published"]


def test_no_act_without_consent(closed_case, applicant):
    with pytest.raises(ValidationError) as error:
        submit(closed_case, applicant, consent=False)
    assert "consent" in error.value.error_dict
    assert not DevelopmentAct.objects.exists()


@pytest.mark.parametrize(
    "field,text",
    [
        ("what_changed", "Kysy lisää: maija.meikalainen@kunta.fi"),
        ("what_was_done", "Soita 040 123 4567 niin kerron"),
        ("title", "Tiedot +358 40 1234567"),
        ("what_changed", "Lisätietoja 09-1234 5678."),
    ],
)
def test_texts_with_contact_details_are_refused(closed_case, applicant, field, text):
    with pytest.raises(ValidationError) as error:
        submit(closed_case, applicant, **{field: text})
    assert field in error.value.error_dict
    assert not DevelopmentAct.objects.exists()


@pytest.mark.parametrize(
    "text",
    ["Työpajat 12.10.2022 ja 2.11.2022", "Vuonna 2022 mukana 40 henkeä", "Osasto 3, 24/7-työ"],
)
def test_dates_and_numbers_are_not_taken_for_phone_numbers(closed_case, applicant, text):
    assert submit(closed_case, applicant, what_changed=text).pk


@pytest.mark.parametrize("status", [CaseStatus.SUBMITTED, CaseStatus.FEEDBACK])
def test_no_act_before_the_case_has_closed(submitted_case, applicant, status):
    Case.objects.filter(pk=submitted_case.pk).update(status=status)
    submitted_case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        submit(submitted_case, applicant)


def test_only_the_organisations_applicants_write_the_act(
    closed_case, other_applicant, coordinator, consultant
):
    for user in (other_applicant, coordinator, consultant):
        with pytest.raises(PermissionDenied):
            submit(closed_case, user)


def test_only_coordinators_publish_or_return(closed_case, applicant, other_applicant, consultant):
    act = submit(closed_case, applicant)
    for user in (applicant, other_applicant, consultant):
        with pytest.raises(PermissionDenied):
            services.act_publish(actor=user, act=act)
        with pytest.raises(PermissionDenied):
            services.act_return(actor=user, act=act, comment="x")
    with pytest.raises(PermissionDenied):
        services.act_withdraw(actor=other_applicant, act=act)


def test_returned_act_is_amended_and_sent_again(closed_case, applicant, coordinator):
    act = submit(closed_case, applicant)
    with pytest.raises(ValidationError):
        services.act_return(actor=coordinator, act=act, comment="  ")
    services.act_return(actor=coordinator, act=act, comment="Lyhentäkää otsikkoa.")
    act.refresh_from_db()
    assert act.status == DevelopmentAct.Status.RETURNED
    assert act.return_comment == "Lyhentäkää otsikkoa."
    with pytest.raises(ValidationError):  # only a submitted act is published
        services.act_publish(actor=coordinator, act=act)
    act = submit(closed_case, applicant, title="Pelisäännöt", version=act.version)
    assert act.status == DevelopmentAct.Status.SUBMITTED and act.return_comment == ""


def test_a_stale_form_changes_nothing(closed_case, applicant, coordinator):
    act = submit(closed_case, applicant)
    services.act_publish(actor=coordinator, act=act, version=act.version)
    with pytest.raises(ValidationError):
        submit(closed_case, applicant, title="Vanha lomake", version=act.version)
    with pytest.raises(ValidationError):
        services.act_withdraw(actor=applicant, act=act, version=act.version)
    act.refresh_from_db()
    assert act.status == DevelopmentAct.Status.PUBLISHED and act.title == TEXTS["title"]


def test_withdrawn_act_leaves_the_page_and_the_feed_at_once(closed_case, applicant, coordinator):
    act = submit(closed_case, applicant)
    services.act_publish(actor=coordinator, act=act)
    client = Client()
    url = reverse("sparring:act_detail", args=[act.public_id])
    assert client.get(url).status_code == 200
    assert act.title in client.get(reverse("sparring:act_feed")).content.decode()
    services.act_withdraw(actor=applicant, act=act)
    assert client.get(url).status_code == 404
    assert act.title not in client.get(reverse("sparring:act_list")).content.decode()
    assert act.title not in client.get(reverse("sparring:act_feed")).content.decode()
    assert AuditEvent.objects.filter(action="act_withdrawn", case=closed_case).exists()


def test_changing_a_published_act_sends_it_back_for_approval(closed_case, applicant, coordinator):
    act = submit(closed_case, applicant)
    services.act_publish(actor=coordinator, act=act)
    act.refresh_from_db()
    act = submit(closed_case, applicant, what_changed="Uusi teksti.", version=act.version)
    assert act.status == DevelopmentAct.Status.SUBMITTED
    assert not selectors.published_acts().exists()


def publish_many(closed_case, applicant, coordinator, n):
    """``n`` published acts: the first is the case's, the others copies on new cases."""
    acts = []
    for i in range(n):
        case = closed_case
        if i:
            case = Case.objects.get(pk=closed_case.pk)
            case.pk = None
            case.reference = f"T-{i}"
            case.submission_token = None
            case.process = None
            case.save()
        act = submit(case, applicant, title=f"Teko {i}")
        acts.append(services.act_publish(actor=coordinator, act=act))
    return acts


def test_public_page_filters_and_keeps_a_constant_query_count(
    closed_case, applicant, coordinator, django_assert_max_num_queries, reference_data
):
    client = Client()
    publish_many(closed_case, applicant, coordinator, 2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("sparring:act_list")).status_code == 200
    publish_many(closed_case, applicant, coordinator, 1)  # replaces nothing: a third case
    for i in range(3, 25):
        case = Case.objects.get(pk=closed_case.pk)
        case.pk, case.reference, case.submission_token, case.process = None, f"U-{i}", None, None
        case.save()
        services.act_publish(actor=coordinator, act=submit(case, applicant, title=f"Teko U{i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("sparring:act_list"))
    assert page.status_code == 200
    theme = closed_case.theme
    other = type(theme).objects.exclude(pk=theme.pk).first()
    page = client.get(reverse("sparring:act_list"), {"theme": theme.code})
    assert "Teko U24" in page.content.decode()
    page = client.get(reverse("sparring:act_list"), {"theme": other.code})
    assert "Teko U24" not in page.content.decode()
    # Unknown filter values and page numbers are ignored, never an error.
    for params in ({"theme": "x" * 300}, {"region": "99"}, {"page": "-1"}, {"sector": "<b>"}):
        assert client.get(reverse("sparring:act_list"), params).status_code == 200


def test_public_page_shows_sector_and_theme_in_the_readers_language(
    closed_case, applicant, coordinator
):
    services.act_publish(actor=coordinator, act=submit(closed_case, applicant))
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    page = client.get(reverse("sparring:act_list")).content.decode()
    theme = closed_case.theme
    assert theme.name("sv") in page
    assert 'lang="sv"' in page


def test_feed_is_valid_atom(closed_case, applicant, coordinator):
    act = services.act_publish(actor=coordinator, act=submit(closed_case, applicant))
    response = Client().get(reverse("sparring:act_feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert feed.tag == f"{ATOM}feed"
    for element in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{element}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    for element in ("id", "title", "updated", "link", "author"):
        assert entry.find(f"{ATOM}{element}") is not None, element
    assert entry.find(f"{ATOM}id").text == f"urn:uuid:{act.public_id}"
    assert entry.find(f"{ATOM}link").get("href").startswith("http")


def test_pages_answer_each_role_as_they_should(
    closed_case, applicant, other_applicant, coordinator, consultant, client_for
):
    edit = reverse("sparring:act_edit", args=[closed_case.pk])
    assert client_for(other_applicant).get(edit).status_code == 404  # not their case
    assert client_for(consultant).get(edit).status_code in (403, 404)
    assert client_for(coordinator).get(edit).status_code == 403
    review = reverse("sparring:act_review")
    for user in (applicant, consultant):
        assert client_for(user).get(review).status_code == 403
    assert Client().get(review).status_code == 302  # login first

    client = client_for(applicant)
    page = client.get(reverse("sparring:case_detail", args=[closed_case.pk])).content.decode()
    assert edit in page
    response = client.post(edit, {**TEXTS, "consent": ""})
    assert response.status_code == 400 and not DevelopmentAct.objects.exists()
    response = client.post(edit, {**TEXTS, "consent": "on"})
    assert response.status_code == 302
    act = DevelopmentAct.objects.get()

    coordinator_client = client_for(coordinator)
    assert act.title in coordinator_client.get(review).content.decode()
    response = coordinator_client.post(
        reverse("sparring:act_decide", args=[act.pk, "publish"]), {"version": act.version}
    )
    assert response.status_code == 302
    act.refresh_from_db()
    assert act.status == DevelopmentAct.Status.PUBLISHED
    # bad input: an unknown action, a missing version, a text that is far too long
    assert (
        coordinator_client.post(reverse("sparring:act_decide", args=[act.pk, "x"])).status_code
        == 403
    )
    response = client.post(
        reverse("sparring:act_withdraw", args=[closed_case.pk]), {"version": "abc"}
    )
    assert response.status_code == 302
    act.refresh_from_db()
    assert act.status == DevelopmentAct.Status.PUBLISHED
    response = client.post(edit, {**TEXTS, "title": "x" * 5000, "consent": "on"})
    assert response.status_code == 400


def test_the_feed_is_rendered_once_per_change_of_the_published_acts(
    closed_case, applicant, coordinator, list_cache, django_assert_num_queries
):
    """Issue 17: 50 entries cost 7 ms to render on every request; a second request with
    nothing changed reads one aggregate and the cache, and no act."""
    acts = publish_many(closed_case, applicant, coordinator, 3)
    client = Client()
    url = reverse("sparring:act_feed")
    first = client.get(url)
    with django_assert_num_queries(1) as captured:
        again = client.get(url)
    assert "COUNT(" in captured[0]["sql"] and "title" not in captured[0]["sql"]
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Last-Modified"] == first["Last-Modified"]
    # a withdrawal, a return to the organisation and a publication show at once
    services.act_withdraw(actor=applicant, act=acts[0])
    assert acts[0].title not in client.get(url).content.decode()
    acts[1].refresh_from_db()
    submit(acts[1].case, applicant, title="Muutettu", version=acts[1].version)
    body = client.get(url).content.decode()
    assert acts[1].title not in body and "Muutettu" not in body
    act = DevelopmentAct.objects.get(pk=acts[1].pk)
    services.act_publish(actor=coordinator, act=act, version=act.version)
    assert "Muutettu" in client.get(url).content.decode()


def test_the_cached_feed_is_per_language_and_address(
    closed_case, applicant, coordinator, list_cache
):
    services.act_publish(actor=coordinator, act=submit(closed_case, applicant))
    url = reverse("sparring:act_feed")
    fi = Client(HTTP_ACCEPT_LANGUAGE="fi").get(url).content.decode()
    sv = Client(HTTP_ACCEPT_LANGUAGE="sv").get(url).content.decode()
    assert "<title>Kehittämisteot</title>" in fi and "Utvecklingsgärningar" not in fi
    assert "<title>Utvecklingsgärningar</title>" in sv
    other = Client(HTTP_HOST="feeds.example.org").get(url).content.decode()
    assert "http://feeds.example.org/" in other and "http://feeds.example.org/" not in fi


def test_the_feed_answers_with_the_cache_down(
    closed_case, applicant, coordinator, list_cache, monkeypatch
):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    services.act_publish(actor=coordinator, act=submit(closed_case, applicant))
    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    response = Client().get(reverse("sparring:act_feed"))
    assert response.status_code == 200 and TEXTS["title"] in response.content.decode()
