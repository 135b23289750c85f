"""URLs of the product's own pages; every name is in the ``sparring`` namespace."""

from django.urls import path

from sparring import views
from sparring.accounts import security_views
from sparring.accounts import views as account_views
from sparring.cases import (
    call_views,
    day_views,
    deadline_views,
    feed_views,
    home_views,
    list_views,
)
from sparring.cases import views as case_views
from sparring.conversation import views as conversation_views
from sparring.outcomes import views as act_views
from sparring.reports import views as report_views
from sparring.statistics import views as statistics_views
from sparring.surveys import views as survey_views

app_name = "sparring"

urlpatterns = [
    path("applicant/", home_views.ApplicantHome.as_view(), name="applicant_home"),
    path("coordinator/", home_views.CoordinatorHome.as_view(), name="coordinator_home"),
    path("consultant/", home_views.ConsultantHome.as_view(), name="consultant_home"),
    # The steering group's home is the statistics page.
    path("steering/", statistics_views.statistics_page, name="steering_home"),
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("no-role/", views.NoRole.as_view(), name="no_role"),
    path("accessibility/", views.AccessibilityStatement.as_view(), name="accessibility"),
    path("privacy/", views.PrivacyNotice.as_view(), name="privacy"),
    path("calls/", case_views.call_list, name="call_list"),
    path("coordinator/late/", deadline_views.late_cases, name="late_cases"),
    path("coordinator/calls/", call_views.call_manage_list, name="call_manage_list"),
    path("coordinator/calls/new/", call_views.call_edit, name="call_create"),
    path("coordinator/calls/<int:pk>/", call_views.call_edit, name="call_edit"),
    path(
        "coordinator/calls/<int:pk>/<str:action>/",
        call_views.call_state,
        name="call_state",
    ),
    path("coordinator/people/", account_views.people_list, name="people_list"),
    path("coordinator/people/lockouts/", security_views.lockout_list, name="lockout_list"),
    path("coordinator/people/lockouts/lift/", security_views.lockout_lift, name="lockout_lift"),
    path("coordinator/people/invite/", account_views.person_invite, name="person_invite"),
    path(
        "coordinator/people/subject-access/",
        account_views.subject_access_page,
        name="subject_access",
    ),
    path(
        "coordinator/people/<int:pk>/<str:action>/",
        account_views.person_action,
        name="person_action",
    ),
    path(
        "coordinator/access-requests/<int:pk>/<str:action>/",
        account_views.access_request_decide,
        name="access_request_decide",
    ),
    path("request-access/", account_views.access_request, name="access_request"),
    path("request-access/sent/", account_views.access_request_sent, name="access_request_sent"),
    path("invitation/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("calls/<int:call_pk>/apply/", case_views.case_apply, name="case_apply"),
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/export.<str:fmt>", list_views.case_list_export, name="case_list_export"),
    path("coordinator/queue/", list_views.queue_page, name="case_queue"),
    path("coordinator/my-cases/", list_views.my_cases_page, name="my_cases"),
    path("coordinator/inbox/", list_views.inbox_page, name="coordinator_inbox"),
    path("coordinator/cases/hand/", list_views.cases_hand_bulk, name="cases_hand_bulk"),
    path("consultant/calendar/", feed_views.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/<str:token>.ics", feed_views.calendar_feed, name="calendar_feed"),
    path("cases/<int:pk>/", case_views.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", case_views.case_edit, name="case_edit"),
    path("cases/<int:pk>/do/<slug:action>/", case_views.case_action, name="case_action"),
    path("cases/<int:pk>/messages/", conversation_views.message_post, name="message_post"),
    path("cases/<int:pk>/schedule/", day_views.case_schedule, name="case_schedule"),
    path("cases/<int:pk>/report/", report_views.case_report, name="case_report"),
    path("cases/<int:pk>/report/return/", report_views.report_return, name="report_return"),
    path("cases/<int:pk>/attachments/", case_views.attachment_upload, name="attachment_upload"),
    path("cases/<int:pk>/calendar.ics", case_views.case_calendar, name="case_calendar"),
    path("cases/<int:pk>/chart.svg", case_views.case_chart, name="case_chart"),
    path("cases/<int:pk>/report.pdf", report_views.report_pdf, name="report_pdf"),
    path(
        "cases/<int:pk>/report-v<int:version>.pdf",
        report_views.report_pdf,
        name="report_pdf_version",
    ),
    path(
        "cases/<int:pk>/call-offs/<int:record_pk>.csv",
        case_views.call_off_record,
        name="call_off_record",
    ),
    path("cases/<int:pk>/days/add/", day_views.day_add, name="day_add"),
    path("days/<int:pk>/held/", day_views.day_held, name="day_held"),
    path("survey/", survey_views.survey, name="survey_start"),
    # links mailed before issue 13 carried the token in the path; it is filled in, then posted
    path("survey/<str:token>/", survey_views.survey, name="survey"),
    # Development acts: public list, act and feed; the organisation's form; the review
    path("acts/", act_views.act_list, name="act_list"),
    path("acts/feed.atom", act_views.act_feed, name="act_feed"),
    path("acts/<uuid:public_id>/", act_views.act_detail, name="act_detail"),
    path("cases/<int:pk>/act/", act_views.act_edit, name="act_edit"),
    path("cases/<int:pk>/act/withdraw/", act_views.act_withdraw, name="act_withdraw"),
    path("coordinator/acts/", act_views.act_review, name="act_review"),
    path("follow-up/thanks/", act_views.follow_up_thanks, name="follow_up_thanks"),
    path("follow-up/<str:token>/", act_views.follow_up_answer, name="follow_up_answer"),
    path(
        "coordinator/acts/<int:pk>/<str:action>/",
        act_views.act_decide,
        name="act_decide",
    ),
    path(
        "cases/<int:pk>/survey/participants/",
        survey_views.survey_participants,
        name="survey_participants",
    ),
    path("cases/<int:pk>/survey/remind/", survey_views.survey_remind, name="survey_remind"),
    path("cases/<int:pk>/survey/codes/", survey_views.survey_codes, name="survey_codes"),
    path("days/<int:pk>/change/", day_views.day_change, name="day_change"),
    path("attachments/<int:pk>/", case_views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", case_views.attachment_delete, name="attachment_delete"),
]
