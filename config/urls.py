"""URL map of the product."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import SpectacularJSONAPIView

from sparring import views as sparring_views
from sparring.accounts import security_views
from sparring.accounts.forms import SetPasswordForm
from sparring.api import pages as api_pages
from workflow.site import site

auth_patterns = [
    path("login/", security_views.LoginView.as_view(), name="login"),
    path("second-factor/", security_views.second_factor, name="second_factor"),
    path("second-factor/set-up/", security_views.second_factor_enrol, name="second_factor_enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        security_views.PasswordResetView.as_view(
            email_template_name="emails/password_reset.txt",
            html_email_template_name="emails/password_reset.html",
            subject_template_name="emails/password_reset.subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", sparring_views.root, name="root"),
    path("home/", sparring_views.home, name="home"),
    path("accounts/", include(auth_patterns)),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("sparring.api.urls")),
    path("openapi.json", login_not_required(SpectacularJSONAPIView.as_view()), name="openapi"),
    path(
        "swagger/",
        login_not_required(RedirectView.as_view(pattern_name="api:swagger")),
        name="swagger",
    ),
    path("account/api-tokens/", api_pages.api_tokens, name="api_tokens"),
    # Calls are managed on the product's own pages (texts in three languages, open/close).
    path(
        "staff/programme/call/",
        RedirectView.as_view(pattern_name="sparring:call_manage_list", permanent=False),
    ),
    path("staff/", site.urls),
    path("", include("sparring.urls")),
    path("", include("workflow.urls")),
    path("", include("procurement.urls")),
]

# The product's own failure pages (sparring/errors.py); 403 and 404 are Django's
# handlers finding templates/403.html and 404.html. A dependency that is down
# (database, Redis) answers 503 with Retry-After, not 500.
handler400 = "sparring.errors.bad_request"
handler500 = "sparring.errors.server_error"
