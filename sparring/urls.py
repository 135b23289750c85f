from django.urls import path

from . import views

app_name = "sparring"

urlpatterns = [
    path("applicant/", views.ApplicantHome.as_view(), name="applicant_home"),
    path("coordinator/", views.CoordinatorHome.as_view(), name="coordinator_home"),
    path("consultant/", views.ConsultantHome.as_view(), name="consultant_home"),
    path("steering/", views.SteeringHome.as_view(), name="steering_home"),
    path("no-role/", views.NoRole.as_view(), name="no_role"),
    path("accessibility/", views.AccessibilityStatement.as_view(), name="accessibility"),
    path("privacy/", views.PrivacyNotice.as_view(), name="privacy"),
]
