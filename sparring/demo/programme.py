"""The 2021–2022 programme replayed through the real flow (``manage.py seed_programme``).

A deterministic plan of 77 applications (72 accepted: 55 of two days and 17 of
one day, 1690 participants, sectors and themes as in the programme's public
figures; 3 rejected and 2 withdrawn besides) is driven step by step through the
same services the users' forms call: submit, review (some returned for
amendment first), call-off by the agreement's rule (some offers declined), dates
proposed and confirmed, days held, report filed (its PDF rendered by the flow's
background job), anonymous survey answers, the feedback timer, closing.

Each step happens on its own day of 2021–2022: the product's clock
(``sparring.clock``) is moved there, so every timestamp the product stores is
that day's, the deadlines and the timer sweep (``workflow.timers``) run on it,
and the services' date rules (no days in the past, a call open when applying, a
day recorded on or after the day) hold as they do for users. viewflow's own
bookkeeping (its tasks' created/finished times) keeps the real time. The driver looks at each case's status and takes its next step, so a run
that was interrupted continues where it stopped and a second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time

from django.db import transaction
from django.test.utils import override_settings

from sparring import aggregates, clock
from sparring.cases import services, states, steps
from sparring.models import Call, Case, Sector, SessionDay, Theme, User
from sparring.reports import services as report_services
from sparring.surveys import services as surveys
from workflow import timers

from . import data as demo
from .acts import publish_acts
from .plan import (  # CALL and PlannedCase are also this module's interface
    BEST,
    CALL,
    COORDINATOR,
    IMPROVE,
    REPORT_TEXT,
    SETUP_AT,
    PlannedCase,
    moment_at,
    plan,
    timeline,
)

__all__ = ["CALL", "PlannedCase", "Replay", "SeedError"]


class SeedError(Exception):
    """The replay could not drive a case to its end."""


class Replay:
    """Drives each planned case to its end through the services, on its own days."""

    MAX_STEPS = 40

    def __init__(
        self,
        log: Callable[[str], None] = lambda _line: None,
        progress: Callable[[int, int, bool], None] = lambda _done, _total, _driven: None,
    ) -> None:
        """``log``: one line per case driven. ``progress(done, total, driven)``: after each
        planned case, how many are done of how many, and whether this one took steps."""
        self.log = log
        self.progress = progress

    def run(self, plans: list[PlannedCase] | None = None) -> dict[str, int]:
        """Drive the programme's plan (or the given planned cases) to the end."""
        from celery import current_app

        eager = current_app.conf.task_always_eager
        # Background work (the report PDF, e-mail) runs in this process, on the
        # replayed day; the replayed e-mails are not sent to anyone.
        current_app.conf.task_always_eager = True
        counts = {"created": 0, "finished": 0, "steps": 0, "acts": 0}
        quiet = {
            name: logging.getLogger(name) for name in ("celery", "kombu", "weasyprint", "fontTools")
        }
        levels = {name: logger.level for name, logger in quiet.items()}
        for logger in quiet.values():
            logger.setLevel(logging.ERROR)  # one line per task and per PDF font otherwise
        try:
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                clock.travel(SETUP_AT, tick=False) as traveller,
            ):
                self.clock = traveller
                self._setup()
                planned_cases = plan() if plans is None else plans
                for done, planned in enumerate(planned_cases, start=1):
                    steps = self._drive(planned)
                    counts["steps"] += steps
                    counts["created" if steps else "finished"] += 1
                    self.progress(done, len(planned_cases), bool(steps))
                counts["acts"] = publish_acts(self, planned_cases)
                # fold the replayed changes into the figures' aggregates now, not on the first read
                aggregates.refresh()
        finally:
            current_app.conf.task_always_eager = eager
            for name, logger in quiet.items():
                logger.setLevel(levels[name])
        return counts

    # -- reference data -------------------------------------------------------------

    def _setup(self) -> None:
        with transaction.atomic():
            demo.ensure_framework()
            self.organisations = demo.ensure_organisations()
            username, first, last = COORDINATOR
            self.coordinator = demo.ensure_user(username, User.Role.COORDINATOR, first, last)
            self.call = Call.objects.filter(title=CALL["title"]).first() or Call.objects.create(
                **CALL
            )
        self.sectors = {s.code: s for s in Sector.objects.all()}
        self.themes = {t.code: t for t in Theme.objects.all()}

    # -- one case -------------------------------------------------------------------

    def _move(self, moment: datetime) -> None:
        self.clock.move_to(moment)
        timers.fire_due_timers()

    def _drive(self, planned: PlannedCase) -> int:
        organisation, applicant = self.organisations[planned.organisation]
        moments = timeline(planned)
        case = Case.objects.filter(call=self.call, contact_email=planned.marker).first()
        steps = 0
        while case is None or case.status not in states.FINAL:
            if steps >= self.MAX_STEPS:
                raise SeedError(f"Case {planned.n} did not reach its end: {case.status}.")
            if case is None:
                self._move(moments["create"])
                services.case_create(
                    actor=applicant, call=self.call, data=self._application(planned)
                )
            else:
                self._step(planned, case, applicant, moments)
            steps += 1
            case = Case.objects.filter(call=self.call, contact_email=planned.marker).first()
        if steps:
            self.log(f"{case.reference} {organisation} {case.get_status_display()}")
        return steps

    def _application(self, planned: PlannedCase) -> dict:
        theme = self.themes[planned.theme]
        whole = planned.sector is None
        return {
            "unit": "" if whole else f"{self.sectors[planned.sector].name_fi}, yksikkö {planned.n}",
            "whole_organisation": whole,
            "sector": None if whole else self.sectors[planned.sector],
            "theme": theme,
            "development_need": f"Kehittämistarve: {theme.name_fi.lower()}.",
            "goal": "Yhteinen näkemys nykytilasta ja sovitut seuraavat askeleet.",
            "target_group": "Koko henkilöstö" if whole else "Yksikön henkilöstö ja esihenkilöt",
            "estimated_participants": sum(planned.participants) or 20,
            "requested_days": planned.requested_days,
            "preferred_period": "",
            "language": planned.language,
            "contact_name": "Yhteyshenkilö",
            "contact_email": planned.marker,
            "contact_phone": "",
            "staff_representative": "Pääluottamusmies",
        }

    def _step(self, planned: PlannedCase, case: Case, applicant: User, moments: dict) -> None:
        from procurement.models import Offer

        coordinator = self.coordinator
        status = case.status
        if status == Case.Status.DRAFT:
            self._move(moments["submit"])
            steps.perform("submit", applicant, case, {"version": case.version})
        elif status == Case.Status.SUBMITTED:
            returned = case.events.filter(action="case_returned").exists()
            if planned.amend and not returned:
                self._move(moments["return"])
                steps.perform(
                    "decide",
                    coordinator,
                    case,
                    {
                        "decision": services.Decision.RETURN,
                        "comment": "Täsmentäkää tavoite ja kohderyhmä.",
                        "version": case.version,
                    },
                )
            elif planned.outcome == "withdrawn":
                self._move(moments["decide"])
                steps.perform(
                    "withdraw",
                    applicant,
                    case,
                    {
                        "reason": "Ajankohta ei sovi organisaation muutostilanteen vuoksi.",
                        "version": case.version,
                    },
                )
            else:
                self._move(moments["decide"])
                approve = planned.outcome == "delivered"
                steps.perform(
                    "decide",
                    coordinator,
                    case,
                    {
                        "decision": services.Decision.APPROVE
                        if approve
                        else services.Decision.REJECT,
                        "comment": ""
                        if approve
                        else "Tarve ei kohdistu työyhteisön kehittämiseen.",
                        "approved_days": planned.approved_days if approve else None,
                        "version": case.version,
                    },
                )
        elif status == Case.Status.RETURNED:
            self._move(moments["resubmit"])
            case = services.case_update(
                actor=applicant,
                case=case,
                data={"goal": "Täsmennetty tavoite: sovitut pelisäännöt ja seurantamalli."},
                version=case.version,
            )
            steps.perform("submit", applicant, case, {"version": case.version})
        elif status == Case.Status.APPROVED:
            again = case.offers.filter(status=Offer.Status.DECLINED).exists()
            self._move(moments["call_off_again" if again else "call_off"])
            steps.perform(
                "call_off",
                coordinator,
                case,
                {"consultant": None, "justification": "", "version": case.version},
            )
        elif status == Case.Status.OFFERED:
            offer = case.offers.get(status=Offer.Status.OFFERED)
            decline = (
                planned.decline_first
                and not case.offers.filter(status=Offer.Status.DECLINED).exists()
            )
            self._move(moments["decline" if decline else "accept"])
            steps.perform(
                "answer",
                offer.consultant.user,
                case,
                {
                    "answer": "decline" if decline else "accept",
                    "reason": "Kalenteri on täynnä toivotulla ajanjaksolla." if decline else "",
                },
            )
        elif status == Case.Status.SCHEDULING:
            if case.days_planned.filter(status=SessionDay.Status.PROPOSED).exists():
                self._move(moments["confirm"])
                steps.perform(
                    "confirm",
                    applicant,
                    case,
                    {"answer": "confirm", "comment": "", "version": case.version},
                )
                return
            self._move(moments["propose"])
            services.schedule_propose(
                actor=case.consultant.user,
                case=case,
                days=[self._day(case, day) for day in moments["days"]],
                version=case.version,
            )
        elif status == Case.Status.DELIVERY:
            day = case.days_planned.filter(status=SessionDay.Status.CONFIRMED).order_by("date")[0]
            index = moments["days"].index(day.date)
            self._move(moment_at(day.date, 15, 45))
            services.session_day_record(
                actor=case.consultant.user, day=day, participants=planned.participants[index]
            )
        elif status == Case.Status.REPORTING:
            self._move(moments["report"])
            goal, how, covered, results, follow_up = REPORT_TEXT[planned.theme]
            report_services.report_submit(
                actor=case.consultant.user,
                case=case,
                data={
                    "participants": sum(planned.participants),
                    "refined_goal": goal,
                    "implementation": how,
                    "themes_covered": covered,
                    "results": results,
                    "follow_up": follow_up,
                },
                version=case.version,
            )
        elif status == Case.Status.FEEDBACK:
            self._answer(planned, case, moments)
            self._move(moments["close"])  # the feedback timer fires
        elif status == Case.Status.CLOSING:
            self._move(moments["close"])
            steps.perform(
                "close",
                coordinator,
                case,
                {"comment": "Sparraus toteutettu.", "version": case.version},
            )
        else:
            raise SeedError(f"Case {planned.n}: no step from {status}.")

    def _day(self, case: Case, day: date) -> dict:
        remote = case.theme.code == "remote-work"
        return {
            "date": day,
            "start_time": time(9, 0),
            "end_time": time(15, 30),
            "place": "" if remote else f"{case.organisation.name_fi}, kokoustila",
            "remote_link": "https://meet.example.invalid/sparraus" if remote else "",
        }

    def _answer(self, planned: PlannedCase, case: Case, moments: dict) -> None:
        survey = case.survey
        given = survey.answers.count()
        if given >= len(planned.grades):
            return
        # The applicant prints a sheet of one-time codes for the participants still to answer.
        self._move(moments["answers"][given])
        codes = surveys.survey_issue_codes(
            actor=case.created_by, case=case, count=len(planned.grades) - given
        )
        for k in range(given, len(planned.grades)):
            grade = planned.grades[k]
            self._move(moments["answers"][k])
            surveys.survey_answer(
                code=codes[k - given],
                data={
                    "overall": grade,
                    "goal_reached": max(1, grade - k % 2),
                    "facilitation": min(5, grade + k % 2),
                    "usefulness": grade,
                    "best": BEST[k % len(BEST)],
                    "improve": IMPROVE[k % len(IMPROVE)],
                },
                client=f"seed-{planned.n}-{k}",
            )
