"""The statistics page for coordinators and the steering group, with CSV and XLSX exports."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sparring import aggregates, clock, exports
from sparring.models import Call, Sector, Theme
from sparring.validators import DateFormField

from . import figures as statistics
from . import impact

statistics_readers = permission_required("sparring.view_statistics", raise_exception=True)


class ScopeForm(forms.Form):
    call = forms.ModelChoiceField(
        label=gettext_lazy("Call"),
        queryset=Call.objects.order_by("-opens_at"),
        required=False,
        empty_label=gettext_lazy("All calls"),
    )
    start = DateFormField(
        label=gettext_lazy("Applications submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = DateFormField(
        label=gettext_lazy("Applications submitted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the range is before its start."))
        return data

    def scope(self) -> statistics.Scope:
        if not self.is_valid():
            return statistics.Scope()
        return statistics.Scope(
            call=self.cleaned_data.get("call"),
            start=self.cleaned_data.get("start"),
            end=self.cleaned_data.get("end"),
        )


def _reader_labels(model) -> dict[str, str]:
    """Finnish name -> name in the reader's language, for a reference-data model.

    The figures key sectors and themes by their Finnish names (the keys of
    ``programme_stats --json`` stay so); the page shows them in its own language.
    """
    labels = {item.name_fi: item.name() for item in model.objects.all()}
    if model is Sector:
        labels[statistics.WHOLE_ORGANISATION] = _("Whole organisation")
    return labels


def _bars(
    table: dict | list, key: str = "cases", label: str = "label", labels: dict | None = None
) -> list[dict]:
    """Rows of a chart with each bar's length in per cent of the longest.

    ``labels`` maps a key of a dict ``table`` to the label shown (default: the key).
    """
    labels = labels or {}
    rows = (
        [{"label": labels.get(name, name), "value": value} for name, value in table.items()]
        if isinstance(table, dict)
        else [{"label": row[label], "value": row[key]} for row in table]
    )
    top = max((row["value"] or 0 for row in rows), default=0) or 1
    for row in rows:
        row["width"] = round(100 * (row["value"] or 0) / top, 1)
        # whole percent, as a class of static/css/bar-widths.css (no inline style: CSP)
        row["width_class"] = f"w-{max(0, min(100, round(row['width'])))}"
    return rows


@statistics_readers
def statistics_page(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or None)
    scope = form.scope()
    with aggregates.reading():  # the queued changes folded in once for the whole page
        data = statistics.statistics(scope)
        data["impact"] = _impact_for_reader(impact.impact(scope))
    export = request.GET.get("format")
    if export in ("csv", "xlsx") and (not request.GET or form.is_valid()):
        return _export(export, data, scope)
    figures = data["figures"]
    charts = {
        "sector": _bars(figures["by_sector"], labels=_reader_labels(Sector)),
        "theme": _bars(figures["by_theme"], labels=_reader_labels(Theme)),
        "funnel": _bars(data["funnel"]),
        "supplier_days": _bars(data["suppliers"], key="days", label="supplier"),
    }
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "sparring/statistics.html",
        {
            "form": form,
            "scope": scope,
            "data": data,
            "figures": figures,
            "charts": charts,
            "lead_times": [
                (label, data["lead_times"][key]) for key, label in statistics.LEAD_TIMES
            ],
            "query": query.urlencode(),
            **_impact_context(data["impact"]),
        },
    )


def _impact_for_reader(figures: dict) -> dict:
    """The deeper figures with sector and theme names in the reader's language."""
    names = {
        "sector": _reader_labels(Sector),
        "theme": _reader_labels(Theme),
    }
    names["sector"][None] = names["sector"][statistics.WHOLE_ORGANISATION]
    for group in ("sector", "theme"):
        for row in figures["grades_by"][group]:
            row["name"] = names[group].get(row["name"], row["name"])
    for group in ("sector", "theme"):
        for row in figures["follow_up"][f"impact_by_{group}"]:
            row["name"] = names[group].get(row["name"], row["name"])
    return figures


def _impact_context(figures: dict) -> dict:
    """What ``includes/statistics_impact.html`` shows, as (id, caption, rows) tables."""
    grade_titles = {
        "sector": _("Overall grade by sector"),
        "theme": _("Overall grade by theme"),
        "supplier": _("Overall grade by supplier"),
        "consultant": _("Overall grade by consultant"),
    }
    follow_up = figures["follow_up"]
    shares = figures["grade_distribution"]["shares"] or {}
    return {
        "impact": figures,
        "smallest_group": impact.SMALLEST_GROUP,
        "impact_tables": [
            (
                group,
                title,
                {"header": impact.GROUPS[group][1], "rows": figures["grades_by"][group]},
            )
            for group, title in grade_titles.items()
        ],
        "distribution": [(grade, shares.get(grade)) for grade in range(1, 6)],
        "follow_up_tables": [
            (
                group,
                title,
                {"header": impact.GROUPS[group][1], "rows": follow_up[f"impact_by_{group}"]},
            )
            for group, title in (
                ("theme", _("Follow-up impact by theme")),
                ("sector", _("Follow-up impact by sector")),
            )
        ],
    }


def _impact_sections(figures: dict) -> list[tuple[str, list[str], list[list]]]:
    """The deeper figures as (title, header, rows) for the exports."""
    sections = []
    titles = {
        "sector": _("Grades by sector"),
        "theme": _("Grades by theme"),
        "supplier": _("Grades by supplier"),
        "consultant": _("Grades by consultant"),
    }
    for group, title in titles.items():
        sections.append(
            (
                title,
                [str(impact.GROUPS[group][1]), _("Answers"), _("Average grade (1–5)")],
                [[r["name"], r["answers"], r["average"]] for r in figures["grades_by"][group]],
            )
        )
    distribution = figures["grade_distribution"]
    sections.append(
        (
            _("Grade distribution"),
            [_("Grade"), _("Share of answers (%)")],
            [[grade, (distribution["shares"] or {}).get(grade)] for grade in range(1, 6)],
        )
    )
    reports = figures["reports"]
    sections.append(
        (
            _("What the reports name"),
            [_("Figure"), _("Value")],
            [
                [_("Filed reports"), reports["reports"]],
                [_("Reports naming concrete follow-up actions"), reports["with_actions"]],
                [_("Share (%)"), reports["with_actions_share"]],
                *[[str(r["label"]), r["reports"]] for r in reports["result_types"]],
            ],
        )
    )
    follow_up = figures["follow_up"]
    sections.append(
        (
            _("Follow-up survey"),
            [_("Figure"), _("Value")],
            [
                [_("Follow-up links sent"), follow_up["sent"]],
                [_("Answers"), follow_up["answers"]],
                [_("Response rate (%)"), follow_up["response_rate"]],
                [_("Average impact (1–5)"), follow_up["average_impact"]],
                [_("Follow-up actions carried out (%)"), follow_up["actions_carried_out_share"]],
                [_("Follow-up actions partly carried out (%)"), follow_up["actions_partly_share"]],
                [_("Would recommend sparring (%)"), follow_up["recommend_share"]],
            ],
        )
    )
    for group, title in (
        ("theme", _("Follow-up impact by theme")),
        ("sector", _("Follow-up impact by sector")),
    ):
        sections.append(
            (
                title,
                [str(impact.GROUPS[group][1]), _("Answers"), _("Average impact (1–5)")],
                [[r["name"], r["answers"], r["average"]] for r in follow_up[f"impact_by_{group}"]],
            )
        )
    return sections


def _sections(data: dict) -> list[tuple[str, list[str], list[list]]]:
    """The page's tables as (title, header, rows), for both exports, in the requester's
    language (sector and theme names included)."""
    figures = data["figures"]
    return _main_sections(data, figures) + _impact_sections(data["impact"])


def _main_sections(data: dict, figures: dict) -> list[tuple[str, list[str], list[list]]]:
    sectors, themes = _reader_labels(Sector), _reader_labels(Theme)
    return [
        (
            _("Headline figures"),
            [_("Figure"), _("Value")],
            [
                [_("Accepted applications"), figures["accepted_applications"]],
                [_("Organisations"), figures["organisations"]],
                [_("Sparring days delivered"), figures["days_delivered"]],
                [_("Participants"), figures["participants"]],
                [_("Average grade (1–5)"), figures["average_grade"]],
                [_("Survey answers"), figures["answers"]],
                [_("Response rate (%)"), figures["response_rate"]],
                [_("Suppliers"), figures["suppliers"]],
                [_("Consultants"), figures["consultants"]],
            ],
        ),
        (
            _("By sector"),
            [_("Sector"), _("Accepted applications")],
            [[sectors.get(name, name), n] for name, n in figures["by_sector"].items()],
        ),
        (
            _("By theme"),
            [_("Theme"), _("Accepted applications")],
            [[themes.get(name, name), n] for name, n in figures["by_theme"].items()],
        ),
        (
            _("Lead times"),
            [_("Interval"), _("Mean days")],
            [[str(label), data["lead_times"][key]] for key, label in statistics.LEAD_TIMES],
        ),
        (
            _("By supplier"),
            [_("Supplier"), _("Cases"), _("Days")],
            [[r["supplier"], r["cases"], r["days"]] for r in data["suppliers"]],
        ),
        (
            _("By consultant"),
            [_("Consultant"), _("Supplier"), _("Cases"), _("Days")],
            [[r["consultant"], r["supplier"], r["cases"], r["days"]] for r in data["consultants"]],
        ),
        (
            _("Cases by step"),
            [_("Step reached"), _("Cases")],
            [[str(r["label"]), r["cases"]] for r in data["funnel"]],
        ),
    ]


def _scope_line(scope: statistics.Scope) -> str:
    parts = [str(scope.call) if scope.call else _("All calls")]
    if scope.start or scope.end:
        start = scope.start.strftime("%-d.%-m.%Y") if scope.start else "…"
        end = scope.end.strftime("%-d.%-m.%Y") if scope.end else "…"
        parts.append(_("applications submitted %(start)s–%(end)s") % {"start": start, "end": end})
    stamp = timezone.localtime().strftime("%-d.%-m.%Y %H.%M")
    parts.append(_("computed %(when)s") % {"when": stamp})
    return ", ".join(parts)


def _export(kind: str, data: dict, scope: statistics.Scope) -> HttpResponse:
    sections = _sections(data)
    filename = f"sparraus-tilastot-{clock.today():%Y-%m-%d}"
    heading = [_scope_line(scope)]
    if kind == "csv":
        rows = [heading]
        for title, header, section_rows in sections:
            rows += [[], [title], header, *section_rows]
        return exports.csv_response(filename, rows)
    return exports.xlsx_response(
        filename,
        [(title, [heading, header, *rows], 2) for title, header, rows in sections],
    )
