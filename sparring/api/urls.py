"""/api/v1/: the REST API, its OpenAPI document and documentation pages.

Every view here is ``login_not_required`` for LoginRequiredMiddleware: the API
authenticates itself (session or token) and answers 401/403 instead of
redirecting to the login page; public endpoints allow anyone.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import views

app_name = "api"


def no_login_redirect(view):
    """The API answers 401/403 itself; LoginRequiredMiddleware must not redirect it."""
    return login_not_required(view)


urlpatterns = [
    path("calls/", no_login_redirect(views.CallList.as_view()), name="call_list"),
    path("calls/<int:pk>/", no_login_redirect(views.CallDetail.as_view()), name="call_detail"),
    path("statistics/", no_login_redirect(views.Figures.as_view()), name="figures"),
    path(
        "statistics/impact/",
        no_login_redirect(views.ImpactFigures.as_view()),
        name="impact_figures",
    ),
    path("open-data/ocds/", no_login_redirect(views.OcdsReleasePackage.as_view()), name="ocds"),
    path("me/", no_login_redirect(views.Me.as_view()), name="me"),
    path("cases/", no_login_redirect(views.CaseList.as_view()), name="case_list"),
    path("cases/<int:pk>/", no_login_redirect(views.CaseDetail.as_view()), name="case_detail"),
    path("tasks/", no_login_redirect(views.TaskList.as_view()), name="task_list"),
    path("days/<int:pk>/held/", no_login_redirect(views.DayHeld.as_view()), name="day_held"),
    path("late-cases/", no_login_redirect(views.LateCaseList.as_view()), name="late_cases"),
    path("ledger/", no_login_redirect(views.Ledger.as_view()), name="ledger"),
    path("invoicing/", no_login_redirect(views.Invoicing.as_view()), name="invoicing"),
    path("schema/", no_login_redirect(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        # The split view serves its init script from ?script: no inline script (CSP).
        no_login_redirect(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="swagger",
    ),
    path(
        "redoc/",
        # Redoc draws its styles at run time: inline styles (only) are allowed on this page.
        no_login_redirect(
            csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
                SpectacularRedocView.as_view(url_name="api:schema")
            )
        ),
        name="redoc",
    ),
    # Any other path under /api/v1/ ending in a slash (e.g. /cases/-1/) is a JSON 404, not
    # the HTML page; without the slash, APPEND_SLASH still redirects /cases to /cases/.
    re_path(r"^.*/$", no_login_redirect(views.not_found), name="not_found"),
]
