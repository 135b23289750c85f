from django.urls import path

from . import competition_views, profile_views, report_views

app_name = "procurement"

urlpatterns = [
    # coordinators: the budget ledger, invoicing basis and fairness report
    path("procurement/ledger/", report_views.ledger, name="ledger"),
    path("procurement/invoicing/", report_views.invoicing, name="invoicing"),
    path("procurement/fairness/", report_views.fairness, name="fairness"),
    # mini-competition
    path(
        "cases/<int:pk>/competition/", competition_views.competition_open, name="competition_open"
    ),
    path("competitions/<int:pk>/tender/", competition_views.tender, name="tender"),
    path(
        "competitions/<int:pk>/award/",
        competition_views.competition_award,
        name="competition_award",
    ),
    path(
        "competitions/<int:pk>/cancel/",
        competition_views.competition_cancel,
        name="competition_cancel",
    ),
    # consultants: their own availability, expertise and languages
    path("consultant/profile/", profile_views.profile, name="profile"),
]
