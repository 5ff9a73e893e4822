"""Street issue report: a pothole, broken street light, blocked drain and the like.

reported ─ inspect ─► inspected ─ schedule_repair ─► repair_scheduled ─ mark_fixed ─► fixed
   │                      │                            │  ▲ reschedule_repair          │
   │                      │          repair_date_missed▼  │                            │
   │                      │                          repair_overdue ─ mark_fixed ──────┤
   ├─ mark_duplicate / not_responsible (closed) ◄─────┘                                │
fixed ─ confirm_fixed (citizen) / close (after the window) ─► closed                   │
fixed or closed ─ reopen (citizen, within REOPEN_WINDOW_DAYS of the fix) ─► reported ◄─┘
"""

from datetime import date, datetime, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django_fsm import transition

from cases import process_id
from cases.models import Case, Service
from cases.ukdates import UKDateField, iso_date
from cases.workflows import register
from cases.workflows.base import (
    CASEWORKER,
    CITIZEN,
    STAFF,
    SYSTEM,
    CitizenAction,
    Notify,
    Outcome,
    Scheduled,
    Stage,
    StepForm,
    Text,
    sms_keyword,
    step,
)

REPORTED = "reported"
DUPLICATE = "duplicate"
NOT_RESPONSIBLE = "not_responsible"
INSPECTED = "inspected"
REPAIR_SCHEDULED = "repair_scheduled"
REPAIR_OVERDUE = "repair_overdue"
FIXED = "fixed"
CLOSED = "closed"

REOPEN_WINDOW_DAYS = 14
# A report's ((place)) in a message is the reporter's own words for where it is, cut to
# this many characters so a text message stays short.
PLACE_LIMIT = 60


class StreetReportAnswers(forms.Form):
    """What the reporter tells us; stored in Case.answers."""

    ISSUE_TYPES = [
        ("pothole", "Pothole"),
        ("street_light", "Street light not working"),
        ("drain", "Blocked or damaged drain cover"),
        ("sign", "Damaged road sign"),
        ("pavement", "Damaged pavement"),
        ("other", "Something else"),
    ]
    issue_type = forms.ChoiceField(choices=ISSUE_TYPES, label="What the problem is")
    location = forms.CharField(max_length=500, label="Where it is")
    location_postcode = forms.CharField(max_length=10, required=False, label="Postcode")
    latitude = forms.DecimalField(
        min_value=49, max_value=61, required=False, decimal_places=6, label="Latitude"
    )
    longitude = forms.DecimalField(
        min_value=-9, max_value=2, required=False, decimal_places=6, label="Longitude"
    )
    description = forms.CharField(max_length=2000, required=False, label="More about it")

    def clean(self):
        data = super().clean()
        for key in ("latitude", "longitude"):
            if data.get(key) is not None:
                data[key] = float(data[key])
        return data


class RepairDateForm(StepForm):
    repair_date = UKDateField(label="Repair date")

    def clean_repair_date(self) -> str:
        repair_date: date = self.cleaned_data["repair_date"]
        if repair_date < timezone.localdate():
            raise forms.ValidationError("The repair date must be today or in the future")
        return repair_date.isoformat()


class DuplicateForm(StepForm):
    duplicate_of = forms.CharField(max_length=30, label="Reference of the original report")

    def clean_duplicate_of(self) -> Case:
        try:
            reference = process_id.parse(self.cleaned_data["duplicate_of"])
        except process_id.InvalidProcessID as exc:
            raise forms.ValidationError(str(exc)) from None
        original = Case.objects.filter(
            process_id=reference,
            organisation_id=self.case.organisation_id,
            service=self.case.service,
        ).first()
        if original is None:
            raise forms.ValidationError("There is no street report with that reference here")
        if original.pk == self.case.pk:
            raise forms.ValidationError("A report cannot be a duplicate of itself")
        return original


class NotResponsibleForm(StepForm):
    redirect_to = forms.CharField(
        max_length=1000, label="Who is responsible, and how the citizen can contact them"
    )


@register
class StreetReportCase(Case):
    SERVICE = Service.STREET_REPORT
    PREFIX = "ST"
    TITLE = Text("Street issue report", "Adroddiad am broblem ar y stryd")
    INITIAL_STATE = REPORTED
    CLOSED_STATES = frozenset({DUPLICATE, NOT_RESPONSIBLE, CLOSED})
    AnswersForm = StreetReportAnswers
    # What each kind of problem is called in a message to the reporter ("your report of a
    # pothole"): the ((problem)) of the report_* templates.
    ISSUE_LABELS = {
        "pothole": Text("a pothole", "twll yn y ffordd"),
        "street_light": Text("a street light not working", "golau stryd ddim yn gweithio"),
        "drain": Text(
            "a blocked or damaged drain cover", "gorchudd draen wedi'i flocio neu wedi'i ddifrodi"
        ),
        "sign": Text("a damaged road sign", "arwydd ffordd wedi'i ddifrodi"),
        "pavement": Text("a damaged pavement", "palmant wedi'i ddifrodi"),
        "other": Text("a street problem", "problem ar y stryd"),
    }
    ON_CREATE = (Notify("report_received"),)
    FOLLOWABLE = True
    CREATED_TEXT = Text("We received your report", "Cawsom eich adroddiad")
    NEXT_STEPS = {
        REPORTED: "inspect",
        INSPECTED: "schedule_repair",
        REPAIR_SCHEDULED: "mark_fixed",
        REPAIR_OVERDUE: "reschedule_repair",
    }
    SMS_KEYWORDS = (
        sms_keyword({"FIXED", "YES"}, "confirm_fixed"),
        sms_keyword({"NOT FIXED", "NO"}, "reopen", with_message=True),
    )
    SCHEDULED = (
        # The nightly job notices a repair date has passed without a fix...
        Scheduled(
            "repair_date_missed",
            lambda today, now: Q(state=REPAIR_SCHEDULED, details__repair_date__lt=str(today)),
        ),
        # ...and closes a fixed report once the citizen's window to reopen it has passed.
        Scheduled(
            "close",
            lambda today, now: Q(
                state=FIXED,
                details__fixed_at__lt=(now - timedelta(days=REOPEN_WINDOW_DAYS + 1)).isoformat(),
            ),
        ),
    )

    STATE_LABELS = {
        REPORTED: Text("Reported", "Wedi'i adrodd"),
        DUPLICATE: Text("Duplicate", "Dyblyg"),
        NOT_RESPONSIBLE: Text("Not the council's responsibility", "Nid cyfrifoldeb y cyngor"),
        INSPECTED: Text("Inspected", "Wedi'i archwilio"),
        REPAIR_SCHEDULED: Text("Repair scheduled", "Atgyweiriad wedi'i drefnu"),
        REPAIR_OVERDUE: Text("Repair date missed", "Dyddiad atgyweirio wedi'i fethu"),
        FIXED: Text("Fixed", "Wedi'i drwsio"),
        CLOSED: Text("Closed", "Wedi'i gau"),
    }

    HEADLINES = {
        REPORTED: Text("We have your report", "Mae eich adroddiad gennym"),
        INSPECTED: Text(
            "An inspector has looked at the problem", "Mae arolygydd wedi edrych ar y broblem"
        ),
        REPAIR_SCHEDULED: Text(
            "A repair is booked for {repair_date}",
            "Mae atgyweiriad wedi'i drefnu ar gyfer {repair_date}",
        ),
        REPAIR_OVERDUE: Text(
            "The repair is late: we are booking a new date",
            "Mae'r atgyweiriad yn hwyr: rydym yn trefnu dyddiad newydd",
        ),
        FIXED: Text("We have fixed the problem", "Rydym wedi trwsio'r broblem"),
        CLOSED: Text("Your report is closed", "Mae eich adroddiad wedi'i gau"),
        DUPLICATE: Text(
            "This problem was already reported", "Roedd y broblem hon wedi'i hadrodd eisoes"
        ),
        NOT_RESPONSIBLE: Text(
            "This is not the council's to fix", "Nid y cyngor sy'n gyfrifol am drwsio hyn"
        ),
    }

    STAGES = (
        Stage(
            "reported",
            Text("Reported", "Wedi'i adrodd"),
            (REPORTED,),
            doing=Text("We have your report.", "Mae eich adroddiad gennym."),
            next=Text(
                "An inspector will look at the problem.",
                "Bydd arolygydd yn edrych ar y broblem.",
            ),
            sla_days=2,
        ),
        Stage(
            "inspection",
            Text("Inspected", "Wedi'i archwilio"),
            (INSPECTED,),
            doing=Text(
                "An inspector has looked at the problem.",
                "Mae arolygydd wedi edrych ar y broblem.",
            ),
            next=Text(
                "We will arrange a repair and tell you the date.",
                "Byddwn yn trefnu atgyweiriad ac yn dweud y dyddiad wrthych.",
            ),
            sla_days=5,
        ),
        Stage(
            "repair",
            Text("Repair", "Atgyweirio"),
            (REPAIR_SCHEDULED, REPAIR_OVERDUE),
            doing=Text(
                "A repair is booked for {repair_date}.",
                "Mae atgyweiriad wedi'i drefnu ar gyfer {repair_date}.",
            ),
            next=Text(
                "We will tell you when it is fixed.",
                "Byddwn yn dweud wrthych pan fydd wedi'i drwsio.",
            ),
            sla_days=20,
        ),
        Stage(
            "fixed",
            Text("Fixed", "Wedi'i drwsio"),
            (FIXED,),
            doing=Text("We have fixed the problem.", "Rydym wedi trwsio'r broblem."),
            next=Text(
                "Tell us if it is not fixed. Otherwise we will close your report.",
                "Dywedwch wrthym os nad yw wedi'i drwsio. Fel arall byddwn yn cau eich adroddiad.",
            ),
            sla_days=REOPEN_WINDOW_DAYS,
        ),
        Stage(
            "closed",
            Text("Closed", "Wedi'i gau"),
            (CLOSED,),
            doing=Text("Your report is closed.", "Mae eich adroddiad wedi'i gau."),
            next=Text("Thank you for telling us.", "Diolch am ddweud wrthym."),
        ),
    )

    OUTCOMES = (
        Outcome(
            DUPLICATE,
            Text("Already reported", "Wedi'i adrodd eisoes"),
            Text(
                "Someone else reported this problem. We will fix it under their report.",
                "Mae rhywun arall wedi adrodd y broblem hon. Byddwn yn ei thrwsio o dan "
                "eu hadroddiad nhw.",
            ),
            next=Text(
                "You do not need to do anything. If the problem is still there after it has "
                "been fixed, you can report it again.",
                "Nid oes angen i chi wneud unrhyw beth. Os yw'r broblem yno o hyd ar ôl iddi "
                "gael ei thrwsio, gallwch ei hadrodd eto.",
            ),
        ),
        Outcome(
            NOT_RESPONSIBLE,
            Text("Not the council's responsibility", "Nid cyfrifoldeb y cyngor"),
            Text(
                "This is not ours to fix: {redirect_to}",
                "Nid ni sy'n gyfrifol am drwsio hyn: {redirect_to}",
            ),
            next=Text(
                "Please report it to them. We have closed your report.",
                "Rhowch wybod iddyn nhw. Rydym wedi cau eich adroddiad.",
            ),
        ),
    )

    CITIZEN_ACTIONS = {
        FIXED: CitizenAction(
            "confirm_fixed", Text("Tell us if it is fixed", "Dywedwch a yw wedi'i drwsio")
        ),
    }

    class Meta:
        proxy = True
        verbose_name = "street issue report"

    def message_values(self, language: str) -> dict[str, str]:
        """What the report is about and where: "a pothole", "Outside 3 Mill Lane"."""
        label = self.ISSUE_LABELS.get(
            self.answers.get("issue_type", ""), self.ISSUE_LABELS["other"]
        )
        place = " ".join(str(self.answers.get("location", "")).split())
        if len(place) > PLACE_LIMIT:
            place = place[: PLACE_LIMIT - 3].rsplit(" ", 1)[0].rstrip(",;:.") + "..."
        return {"problem": label.cy if language == "cy" else label.en, "place": place}

    def stage_due_date(self, stage, default):
        """While a repair is booked, the deadline is the repair date."""
        if stage is not None and stage.slug == "repair" and self.repair_date:
            return self.repair_date
        return default

    @property
    def repair_date(self) -> date | None:
        """The day the repair is booked for, if one is."""
        return iso_date(self.details.get("repair_date"))

    def within_reopen_window(self) -> bool:
        fixed_at = self.details.get("fixed_at")
        if not fixed_at:
            return False
        fixed_on = timezone.localtime(datetime.fromisoformat(fixed_at)).date()
        return timezone.localdate() <= fixed_on + timedelta(days=REOPEN_WINDOW_DAYS)

    def repair_date_passed(self) -> bool:
        return self.repair_date is not None and self.repair_date < timezone.localdate()

    @transition(
        field="state",
        source=REPORTED,
        target=INSPECTED,
        custom=step(
            Text("Inspected", "Wedi'i archwilio"),
            STAFF,
            public=Text("An inspector looked at the problem", "Edrychodd arolygydd ar y broblem"),
            hooks=(Notify("report_inspected"),),
            message="optional",
        ),
    )
    def inspect(self):
        """An inspector (caseworker or the highways system) records the inspection."""

    @transition(
        field="state",
        source=[REPORTED, INSPECTED],
        target=DUPLICATE,
        custom=step(
            Text("Mark as duplicate", "Marcio'n ddyblyg"),
            {CASEWORKER},
            public=Text(
                "This problem was already reported", "Roedd y broblem hon wedi'i hadrodd eisoes"
            ),
            hooks=(Notify("report_duplicate"),),
            form=DuplicateForm,
            destructive=True,
        ),
    )
    def mark_duplicate(self, *, duplicate_of: Case):
        """A caseworker links the report to an earlier one about the same problem."""
        self.duplicate_of = duplicate_of

    @transition(
        field="state",
        source=[REPORTED, INSPECTED],
        target=NOT_RESPONSIBLE,
        custom=step(
            Text("Not our responsibility", "Nid ein cyfrifoldeb ni"),
            {CASEWORKER},
            public=Text(
                "This is not the council's to fix", "Nid y cyngor sy'n gyfrifol am drwsio hyn"
            ),
            hooks=(Notify("report_not_responsible"),),
            form=NotResponsibleForm,
            destructive=True,
        ),
    )
    def not_responsible(self, *, redirect_to: str):
        """A caseworker closes a report the council is not responsible for, saying who is."""
        self.details["redirect_to"] = redirect_to

    @transition(
        field="state",
        source=INSPECTED,
        target=REPAIR_SCHEDULED,
        custom=step(
            Text("Schedule repair", "Trefnu atgyweiriad"),
            STAFF,
            public=Text("We booked a repair", "Gwnaethom drefnu atgyweiriad"),
            hooks=(Notify("repair_scheduled"),),
            form=RepairDateForm,
        ),
    )
    def schedule_repair(self, *, repair_date: str):
        """A caseworker or the contractor's system books the repair for a date."""
        self.details["repair_date"] = repair_date

    @transition(
        field="state",
        source=REPAIR_SCHEDULED,
        target=REPAIR_OVERDUE,
        # django-fsm types a condition as taking any Model; it is called with this case.
        conditions=[repair_date_passed],  # type: ignore[list-item]
        custom=step(
            Text("Repair date missed", "Dyddiad atgyweirio wedi'i fethu"),
            {SYSTEM},
            public=Text(
                "The repair did not happen on the date we gave you. We are booking a new date.",
                "Ni ddigwyddodd yr atgyweiriad ar y dyddiad a roesom i chi. Rydym yn trefnu "
                "dyddiad newydd.",
            ),
            hooks=(Notify("repair_delayed"),),
        ),
    )
    def repair_date_missed(self):
        """The nightly job finds the repair date has passed without a fix."""

    @transition(
        field="state",
        source=[REPAIR_SCHEDULED, REPAIR_OVERDUE],
        target=REPAIR_SCHEDULED,
        custom=step(
            Text("Reschedule repair", "Aildrefnu atgyweiriad"),
            STAFF,
            public=Text(
                "We booked a new repair date", "Gwnaethom drefnu dyddiad atgyweirio newydd"
            ),
            hooks=(Notify("repair_rescheduled"),),
            form=RepairDateForm,
            reason_required=True,
        ),
    )
    def reschedule_repair(self, *, repair_date: str):
        """A caseworker or the contractor's system moves the repair to a new date."""
        self.details["repair_date"] = repair_date

    @transition(
        field="state",
        source=[INSPECTED, REPAIR_SCHEDULED, REPAIR_OVERDUE],
        target=FIXED,
        custom=step(
            Text("Mark as fixed", "Marcio wedi'i drwsio"),
            STAFF,
            public=Text("We fixed the problem", "Gwnaethom drwsio'r broblem"),
            hooks=(Notify("report_fixed"),),
        ),
    )
    def mark_fixed(self):
        """The repair is done; the reporter is asked whether it is fixed."""
        self.details["fixed_at"] = timezone.now().isoformat()

    @transition(
        field="state",
        source=FIXED,
        target=CLOSED,
        custom=step(
            Text("Confirm it is fixed", "Cadarnhau ei fod wedi'i drwsio"),
            {CITIZEN},
            public=Text("You told us it is fixed", "Gwnaethoch ddweud wrthym ei fod wedi'i drwsio"),
        ),
    )
    def confirm_fixed(self):
        """The reporter confirms the problem is fixed."""

    @transition(
        field="state",
        source=[FIXED, CLOSED],
        target=REPORTED,
        # django-fsm types a condition as taking any Model; it is called with this case.
        conditions=[within_reopen_window],  # type: ignore[list-item]
        custom=step(
            Text("Reopen: it is not fixed", "Ailagor: nid yw wedi'i drwsio"),
            {CITIZEN, CASEWORKER},
            public=Text(
                "The report was reopened: it is not fixed",
                "Cafodd yr adroddiad ei ailagor: nid yw wedi'i drwsio",
            ),
            hooks=(Notify("report_reopened"),),
            message="optional",
            on_behalf=True,
        ),
    )
    def reopen(self):
        """The reporter says it is not fixed, within the window after the fix."""
        self.details.pop("repair_date", None)

    @transition(
        field="state",
        source=FIXED,
        target=CLOSED,
        custom=step(
            Text("Close", "Cau"),
            {SYSTEM, CASEWORKER},
            public=Text("We closed your report", "Gwnaethom gau eich adroddiad"),
            destructive=True,
        ),
    )
    def close(self):
        """The window to reopen has passed (nightly job), or a caseworker closes it."""
