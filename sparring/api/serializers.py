"""What the API returns. Read-only except the day held; each field says what it is."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sparring.models import Call, Case, SessionDay

TEXT_LANGUAGES = ("fi", "sv", "en")


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def translated(instance, field: str, language: str) -> tuple[str, str]:
    """The text of ``field`` in ``language`` where the record has it (``title_sv``…),
    otherwise in Finnish. Returns (text, the language it is in)."""
    value = getattr(instance, f"{field}_{language}", None)
    if value:
        return value, language
    value = getattr(instance, f"{field}_fi", None)
    if value is None:  # a record with one text field, written in Finnish
        value = getattr(instance, field, "")
    return value, "fi"


class ChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the language of the response.")


class ApplicableSerializer(serializers.Serializer):
    days = serializers.ListField(
        child=serializers.IntegerField(), help_text="Days of sparring one application may ask for."
    )
    languages = ChoiceSerializer(many=True, help_text="Languages the sparring can be held in.")
    themes = ChoiceSerializer(many=True)
    sectors = ChoiceSerializer(many=True)
    whole_organisation = serializers.BooleanField(
        help_text="An application may concern the whole organisation instead of one sector."
    )


class CallSerializer(serializers.ModelSerializer):
    """An open call. ``applicable`` (what one can apply for) comes from the view's context."""

    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    text_language = serializers.SerializerMethodField(
        help_text="The language of title and description: the requested one where the call "
        "has the text in it, otherwise Finnish."
    )
    applicable = serializers.SerializerMethodField()
    apply_url = serializers.SerializerMethodField(
        help_text="The application form (needs an applicant's login)."
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "title",
            "description",
            "text_language",
            "opens_at",
            "closes_at",
            "delivery_starts",
            "delivery_ends",
            "applicable",
            "apply_url",
        ]

    def _language(self) -> str:
        return (get_language() or "fi")[:2]

    def get_title(self, call) -> str:
        return translated(call, "title", self._language())[0]

    def get_description(self, call) -> str:
        return translated(call, "description", self._language())[0]

    def get_text_language(self, call) -> str:
        return translated(call, "title", self._language())[1]

    @extend_schema_field(ApplicableSerializer)
    def get_applicable(self, call) -> dict:
        return self.context["applicable"]

    def get_apply_url(self, call) -> str:
        return _absolute(
            self.context.get("request"), reverse("sparring:case_apply", args=[call.pk])
        )


class FiguresSerializer(serializers.Serializer):
    """The programme's figures: the same keys and values as ``manage.py programme_stats --json``,
    except that the average grade is withheld (null) while fewer than 5 answers exist."""

    accepted_applications = serializers.IntegerField()
    organisations = serializers.IntegerField()
    days_delivered = serializers.IntegerField()
    participants = serializers.IntegerField()
    average_grade = serializers.FloatField(
        allow_null=True, help_text="1–5, one decimal; null below 5 answers."
    )
    answers = serializers.IntegerField()
    response_rate = serializers.FloatField(
        allow_null=True, help_text="Answers per participant, per cent, one decimal."
    )
    suppliers = serializers.IntegerField()
    consultants = serializers.IntegerField()
    by_sector = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Accepted applications by sector (Finnish name).",
    )
    by_theme = serializers.DictField(
        child=serializers.IntegerField(), help_text="Accepted applications by theme (Finnish name)."
    )


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConsultantRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    supplier = serializers.CharField()


def _iso_datetime(value, zone) -> str | None:
    """``value`` as DRF's ``DateTimeField`` writes it with the default ISO 8601 format:
    in ``zone`` (the current time zone), ``Z`` for UTC; None for no value."""
    if not value:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(zone)
    else:
        value = timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CaseSerializer(serializers.ModelSerializer):
    """A case as the list shows it."""

    # (The docstring is the OpenAPI schema's description.) The declared fields describe
    # the response and make the schema; ``to_representation`` writes a row directly
    # rather than field by field (issue 17: DRF's per-field path was most of a 50-row
    # page's serialising). The two are compared on varied rows, roles and languages in
    # tests/unit/api/test_serializer_rows.py: a field added to ``Meta.fields`` must be
    # added to ``case_row`` too, or that test fails.

    # a method field: a method as ``source`` made DRF inspect its signature on every row
    status_label = serializers.SerializerMethodField()
    call = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)
    theme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    consultant = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="This case in the API.")
    page_url = serializers.SerializerMethodField(help_text="The case page.")

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "call",
            "organisation",
            "unit",
            "whole_organisation",
            "sector",
            "theme",
            "language",
            "estimated_participants",
            "requested_days",
            "approved_days",
            "created",
            "submitted_at",
            "decided_at",
            "closed_at",
            "consultant",
            "url",
            "page_url",
        ]

    def to_representation(self, case) -> dict:
        """The case's row (``case_row``)."""
        return self.case_row(case)

    def case_row(self, case) -> dict:
        """The fields of ``CaseSerializer.Meta.fields``, in their order, with the values
        their declared fields give. The case's relations must be loaded (``selectors.case_list``)."""
        language, zone = self._response_language()
        consultant = case.consultant if case.consultant_id is not None else None
        sector = case.sector
        theme = case.theme
        return {
            "id": case.pk,
            "reference": case.reference,
            "status": case.status,
            "status_label": self._status_label(case),
            "call": {"id": case.call_id, "name": case.call.display_title},
            "organisation": {
                "id": case.organisation_id,
                "name": case.organisation.display_name(language),
            },
            "unit": case.unit,
            "whole_organisation": bool(case.whole_organisation),
            "sector": None if sector is None else sector.code,
            "theme": None if theme is None else theme.code,
            "language": case.language,
            "estimated_participants": case.estimated_participants,
            "requested_days": case.requested_days,
            "approved_days": case.approved_days,
            "created": _iso_datetime(case.created, zone),
            "submitted_at": _iso_datetime(case.submitted_at, zone),
            "decided_at": _iso_datetime(case.decided_at, zone),
            "closed_at": _iso_datetime(case.closed_at, zone),
            "consultant": None
            if consultant is None
            else {"name": str(consultant), "supplier": consultant.supplier.display_name()},
            "url": self._address("api:case_detail", case.pk),
            "page_url": self._address("sparring:case_detail", case.pk),
        }

    def _status_label(self, case) -> str:
        """``case.get_status_display()``, looked up once per status and response (issue
        17, session 12: the choices' dict and the label's translation, every row)."""
        labels = self.context.setdefault("case_row_status_labels", {})
        label = labels.get(case.status)
        if label is None:
            label = labels[case.status] = case.get_status_display()
        return label

    def _response_language(self) -> tuple[str, object]:
        """The active language (two letters) and time zone, read once per response."""
        cached = self.context.get("case_row_language")
        if cached is None:
            cached = ((get_language() or "fi")[:2], timezone.get_current_timezone())
            self.context["case_row_language"] = cached
        return cached

    def get_status_label(self, case) -> str:
        return case.get_status_display()

    @extend_schema_field(RefSerializer)
    def get_call(self, case) -> dict:
        return {"id": case.call_id, "name": case.call.display_title}

    @extend_schema_field(RefSerializer)
    def get_organisation(self, case) -> dict:
        language = (get_language() or "fi")[:2]
        return {"id": case.organisation_id, "name": case.organisation.display_name(language)}

    @extend_schema_field(ConsultantRefSerializer(allow_null=True))
    def get_consultant(self, case) -> dict | None:
        if case.consultant_id is None:
            return None
        return {"name": str(case.consultant), "supplier": case.consultant.supplier.display_name()}

    def get_url(self, case) -> str:
        return self._address("api:case_detail", case.pk)

    def get_page_url(self, case) -> str:
        return self._address("sparring:case_detail", case.pk)

    #: Stands for the case's id in an address reversed once per response.
    _ID = 918273645

    def _address(self, name: str, pk: int) -> str:
        """The absolute address of the view ``name`` for the case ``pk``.

        Reversed and made absolute once per response, then the id put in (issue 17:
        two ``reverse`` calls a row were a quarter of a 50-row list's serialising).
        """
        addresses = self.context.setdefault("case_addresses", {})
        if name not in addresses:
            full = _absolute(self.context.get("request"), reverse(name, args=[self._ID]))
            addresses[name] = full.rpartition(str(self._ID))
        before, _id, after = addresses[name]
        return f"{before}{pk}{after}"


class StepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="The flow step, e.g. review, offer, deliver.")
    actor = serializers.CharField(help_text="Who takes it: applicant, coordinator, consultant…")
    description = serializers.CharField()
    since = serializers.DateTimeField(help_text="When the step opened.")


@extend_schema_field({"type": "string", "pattern": r"^\d\d:\d\d:\d\d$", "example": "09:00:00"})
class ClockTimeField(serializers.TimeField):
    """A time of day in Helsinki local time, ``HH:MM:SS``. Documented as a pattern, not
    the OpenAPI format "time", which (RFC 3339 full-time) requires a UTC offset that a
    wall-clock time of a sparring day does not have."""


class DaySerializer(serializers.ModelSerializer):
    start_time = ClockTimeField(read_only=True)
    end_time = ClockTimeField(read_only=True)
    status_label = serializers.CharField(source="get_status_display")
    held_url = serializers.SerializerMethodField(
        help_text="POST here (the consultant) to record the day as held."
    )

    class Meta:
        model = SessionDay
        fields = [
            "id",
            "date",
            "start_time",
            "end_time",
            "place",
            "remote_link",
            "status",
            "status_label",
            "participants",
            "held_url",
        ]

    def get_held_url(self, day) -> str:
        return _absolute(self.context.get("request"), reverse("api:day_held", args=[day.pk]))


class ReportMetaSerializer(serializers.Serializer):
    status = serializers.CharField()
    status_label = serializers.CharField()
    revision = serializers.IntegerField(help_text="How many times it has been filed.")
    participants = serializers.IntegerField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["report", "attachment"])
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True, help_text="Report PDFs: the version.")
    language = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    created = serializers.DateTimeField()
    url = serializers.CharField(help_text="Download (the same rules as the page).")


class CaseDetailSerializer(CaseSerializer):
    """A case with its open steps, days, report metadata and documents (from the context)."""

    steps = serializers.SerializerMethodField()
    days = DaySerializer(many=True, source="days_planned")
    report = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "steps", "days", "report", "documents"]

    # One case: DRF's field-by-field path, as declared.
    to_representation = serializers.ModelSerializer.to_representation

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, case) -> list:
        return StepSerializer(self.context["steps"], many=True).data

    @extend_schema_field(ReportMetaSerializer(allow_null=True))
    def get_report(self, case) -> dict | None:
        report = self.context.get("report")
        return None if report is None else ReportMetaSerializer(report).data

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, case) -> list:
        return DocumentSerializer(self.context["documents"], many=True).data


class TaskSerializer(serializers.Serializer):
    """A case where the caller must act, with the steps that wait for them."""

    # Written directly, as ``CaseSerializer`` (issue 17; compared with the declared fields
    # in tests/unit/api/test_serializer_rows.py).

    case = CaseSerializer()
    waiting_since = serializers.DateTimeField()
    steps = StepSerializer(many=True)

    def to_representation(self, item) -> dict:
        """``item``: {"case", "waiting_since", "steps": [{"step", "actor", "description",
        "since"}]} as ``views.TaskList`` makes it."""
        case_field = self.fields["case"]
        zone = case_field._response_language()[1]
        return {
            "case": case_field.to_representation(item["case"]),
            "waiting_since": _iso_datetime(item["waiting_since"], zone),
            "steps": [
                {
                    "step": str(step["step"]),
                    "actor": str(step["actor"]),
                    "description": str(step["description"]),
                    "since": _iso_datetime(step["since"], zone),
                }
                for step in item["steps"]
            ],
        }


class LateCaseSerializer(CaseSerializer):
    late_step = serializers.CharField(
        help_text="The step past its due date (the flow's node name, as in /api/v1/tasks/)."
    )
    waiting_since = serializers.DateTimeField(help_text="When that step started waiting.")
    due = serializers.DateTimeField(help_text="When that step fell due (Helsinki 16.00).")
    handler = serializers.SerializerMethodField(
        help_text="The case's responsible coordinator, if any."
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "late_step", "waiting_since", "due", "handler"]

    def to_representation(self, case) -> dict:
        """The case's row (``case_row``) and the late step's fields, in ``Meta.fields`` order."""
        zone = self._response_language()[1]
        late_step = case.late_step
        return {
            **self.case_row(case),
            "late_step": None if late_step is None else str(late_step),
            "waiting_since": _iso_datetime(case.waiting_since, zone),
            "due": _iso_datetime(case.due, zone),
            "handler": self.get_handler(case),
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_handler(self, case) -> str | None:
        if case.handler_id is None:
            return None
        return case.handler.get_full_name() or case.handler.get_username()


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    notice_reference = serializers.CharField()
    method = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=2)


class LedgerLineSerializer(serializers.Serializer):
    supplier_id = serializers.IntegerField(source="supplier.pk")
    supplier = serializers.CharField(source="supplier.name")
    business_id = serializers.CharField(source="supplier.business_id")
    cases = serializers.IntegerField()
    committed_days = serializers.IntegerField()
    delivered_days = serializers.IntegerField()
    outstanding_days = serializers.IntegerField()
    committed_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivered_eur = serializers.DecimalField(max_digits=12, decimal_places=2)


class LedgerSerializer(serializers.Serializer):
    """The budget ledger of one framework agreement (procurement/reports.py ``ledger``)."""

    agreement = AgreementSerializer()
    committed_days = serializers.IntegerField()
    delivered_days = serializers.IntegerField()
    committed_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivered_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    lines = LedgerLineSerializer(many=True)


class InvoicingRowSerializer(serializers.Serializer):
    """One held day: a line of a supplier's monthly invoice."""

    day_id = serializers.IntegerField(source="pk")
    date = serializers.DateField()
    supplier = serializers.CharField(source="case.consultant.supplier.name")
    consultant = serializers.CharField(source="case.consultant")
    case = serializers.CharField(source="case.reference")
    organisation = serializers.CharField(source="case.organisation.name_fi")
    participants = serializers.IntegerField(allow_null=True)
    day_price = serializers.DecimalField(
        source="case.agreed_day_price", max_digits=8, decimal_places=2, allow_null=True
    )


class DayHeldSerializer(serializers.Serializer):
    participants = serializers.IntegerField(
        min_value=1, max_value=1000, help_text="How many took part (1–1000)."
    )


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_blank=True)
    organisation = RefSerializer(allow_null=True)
    language = serializers.CharField()


class LanguageQuerySerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=TEXT_LANGUAGES,
        required=False,
        help_text="fi, sv or en; overrides Accept-Language.",
    )
