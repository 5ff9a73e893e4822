"""Blue Badge application: a disabled person's parking permit, issued by their council.

submitted ─┬─ start_assessment ──────────────► in_assessment ─ approve ─┬─► awaiting_payment
           └─ request_evidence ─► evidence_requested ◄─┐                 │   (fee > 0)
                               receive_evidence │      │ request_evidence└─► approved (free)
                                      evidence_received ─ start_assessment ┘
awaiting_payment ─ payment_received ─► approved ─ order_badge ─► badge_ordered
                 ─ payment_unknown ─► payment_unknown ─ confirm/not received
badge_ordered ─ dispatch_badge ─► badge_dispatched (closed)
refuse (caseworker, with reason) ─► refused (closed); withdraw (citizen) ─► withdrawn
"""

from django import forms
from django.utils import timezone
from django_fsm import GET_STATE, transition

from cases.models import Case, Service
from cases.workflows import register
from cases.workflows.base import (
    CASEWORKER,
    CITIZEN,
    PARTNER,
    STAFF,
    SYSTEM,
    CitizenAction,
    Notify,
    Outcome,
    RequestPayment,
    Stage,
    Text,
    sms_keyword,
    step,
)

SUBMITTED = "submitted"
EVIDENCE_REQUESTED = "evidence_requested"
EVIDENCE_RECEIVED = "evidence_received"
IN_ASSESSMENT = "in_assessment"
AWAITING_PAYMENT = "awaiting_payment"
PAYMENT_UNKNOWN = "payment_unknown"
APPROVED = "approved"
BADGE_ORDERED = "badge_ordered"
BADGE_DISPATCHED = "badge_dispatched"
REFUSED = "refused"
WITHDRAWN = "withdrawn"

BEFORE_DECISION = [SUBMITTED, EVIDENCE_REQUESTED, EVIDENCE_RECEIVED, IN_ASSESSMENT]


class BlueBadgeAnswers(forms.Form):
    """What the applicant tells us; stored in Case.answers."""

    ELIGIBILITY = [
        ("pip", "Personal Independence Payment (PIP) mobility award"),
        ("dla", "Higher rate mobility component of Disability Living Allowance"),
        ("war_pension", "War Pensioners' Mobility Supplement"),
        ("armed_forces", "Armed Forces Compensation Scheme award"),
        ("registered_blind", "Registered as severely sight impaired"),
        ("walking", "Difficulty walking"),
        ("arms", "Difficulty using arms"),
        ("hidden", "Non-visible (hidden) condition"),
        ("child", "Child under 3 with a medical condition"),
    ]
    eligibility = forms.ChoiceField(choices=ELIGIBILITY, label="Why they are eligible")
    date_of_birth = forms.DateField(label="Date of birth")
    description = forms.CharField(max_length=2000, required=False, label="About their condition")
    existing_badge_number = forms.CharField(
        max_length=20, required=False, label="Existing badge number"
    )

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("Date of birth must be in the past")
        return born.isoformat()


@register
class BlueBadgeCase(Case):
    SERVICE = Service.BLUE_BADGE
    PREFIX = "BB"
    TITLE = Text("Blue Badge application", "Cais am Fathodyn Glas")
    INITIAL_STATE = SUBMITTED
    CLOSED_STATES = frozenset({BADGE_DISPATCHED, REFUSED, WITHDRAWN})
    AnswersForm = BlueBadgeAnswers
    ON_CREATE = (Notify("application_received"),)
    CREATED_TEXT = Text("We received your application", "Cawsom eich cais")
    ON_PAYMENT = "payment_received"
    ON_PAYMENT_UNKNOWN = "payment_unknown"
    ON_PAYMENT_EXPIRED = "close_unpaid"
    NEXT_STEPS = {
        SUBMITTED: "start_assessment",
        EVIDENCE_RECEIVED: "start_assessment",
        IN_ASSESSMENT: "approve",
        PAYMENT_UNKNOWN: "payment_received",
        APPROVED: "order_badge",
        BADGE_ORDERED: "dispatch_badge",
    }
    SMS_KEYWORDS = (
        sms_keyword(
            {"WITHDRAW"},
            "withdraw",
            confirm_words=("WITHDRAW YES", "CONFIRM"),
            confirm_event="withdraw_confirm",
        ),
    )

    STATE_LABELS = {
        SUBMITTED: Text("Submitted", "Wedi'i gyflwyno"),
        EVIDENCE_REQUESTED: Text("More evidence requested", "Cais am ragor o dystiolaeth"),
        EVIDENCE_RECEIVED: Text("Evidence received", "Tystiolaeth wedi dod i law"),
        IN_ASSESSMENT: Text("In assessment", "Yn cael ei asesu"),
        AWAITING_PAYMENT: Text("Awaiting payment", "Yn aros am daliad"),
        PAYMENT_UNKNOWN: Text("Payment being checked", "Gwirio'r taliad"),
        APPROVED: Text("Approved", "Wedi'i gymeradwyo"),
        BADGE_ORDERED: Text("Badge ordered", "Bathodyn wedi'i archebu"),
        BADGE_DISPATCHED: Text("Badge sent", "Bathodyn wedi'i anfon"),
        REFUSED: Text("Refused", "Wedi'i wrthod"),
        WITHDRAWN: Text("Withdrawn", "Wedi'i dynnu'n ôl"),
    }

    HEADLINES = {
        SUBMITTED: Text("We have your application", "Mae eich cais gennym"),
        EVIDENCE_REQUESTED: Text(
            "We need more evidence from you", "Mae angen rhagor o dystiolaeth arnom gennych"
        ),
        EVIDENCE_RECEIVED: Text("We have your evidence", "Mae eich tystiolaeth gennym"),
        IN_ASSESSMENT: Text(
            "A caseworker is assessing your application", "Mae gweithiwr achos yn asesu eich cais"
        ),
        AWAITING_PAYMENT: Text(
            "Approved: waiting for your payment", "Wedi'i gymeradwyo: yn aros am eich taliad"
        ),
        PAYMENT_UNKNOWN: Text("We are checking your payment", "Rydym yn gwirio eich taliad"),
        APPROVED: Text(
            "Approved: your badge is being made",
            "Wedi'i gymeradwyo: mae eich bathodyn yn cael ei wneud",
        ),
        BADGE_ORDERED: Text("Your badge has been ordered", "Mae eich bathodyn wedi'i archebu"),
        BADGE_DISPATCHED: Text("Your badge has been posted", "Mae eich bathodyn wedi'i bostio"),
        REFUSED: Text("Your application was refused", "Cafodd eich cais ei wrthod"),
        WITHDRAWN: Text("Your application was withdrawn", "Cafodd eich cais ei dynnu'n ôl"),
    }

    STAGES = (
        Stage(
            "received",
            Text("Application received", "Cais wedi dod i law"),
            (SUBMITTED,),
            doing=Text(
                "We have your application and will check it.",
                "Mae eich cais gennym a byddwn yn ei wirio.",
            ),
            next=Text(
                "A caseworker will check your application and evidence. We will tell you "
                "if we need anything else.",
                "Bydd gweithiwr achos yn gwirio eich cais a'ch tystiolaeth. Byddwn yn "
                "dweud wrthych os oes angen unrhyw beth arall arnom.",
            ),
            sla_days=5,
        ),
        Stage(
            "assessment",
            Text("Assessment", "Asesiad"),
            (EVIDENCE_REQUESTED, EVIDENCE_RECEIVED, IN_ASSESSMENT),
            doing=Text(
                "A caseworker is assessing your application.",
                "Mae gweithiwr achos yn asesu eich cais.",
            ),
            next=Text(
                "We will decide whether you can have a Blue Badge and tell you.",
                "Byddwn yn penderfynu a allwch gael Bathodyn Glas ac yn dweud wrthych.",
            ),
            sla_days=20,
        ),
        Stage(
            "payment",
            Text("Payment", "Taliad"),
            (AWAITING_PAYMENT, PAYMENT_UNKNOWN),
            doing=Text(
                "Your application has been approved. You need to pay for your badge.",
                "Mae eich cais wedi'i gymeradwyo. Mae angen i chi dalu am eich bathodyn.",
            ),
            next=Text(
                "When you have paid, we will order your badge.",
                "Pan fyddwch wedi talu, byddwn yn archebu eich bathodyn.",
            ),
            sla_days=10,
        ),
        Stage(
            "badge",
            Text("Badge made", "Gwneud y bathodyn"),
            (APPROVED, BADGE_ORDERED),
            doing=Text(
                "Your badge is being made.",
                "Mae eich bathodyn yn cael ei wneud.",
            ),
            next=Text(
                "We will post your badge to you and tell you when it has been sent.",
                "Byddwn yn postio eich bathodyn atoch ac yn dweud wrthych pan fydd wedi'i anfon.",
            ),
            sla_days=10,
        ),
        Stage(
            "sent",
            Text("Badge sent", "Bathodyn wedi'i anfon"),
            (BADGE_DISPATCHED,),
            doing=Text(
                "Your badge has been posted to you.",
                "Mae eich bathodyn wedi'i bostio atoch.",
            ),
            next=Text(
                "It should arrive within 5 working days.",
                "Dylai gyrraedd o fewn 5 diwrnod gwaith.",
            ),
        ),
    )
    PAYMENT_STAGE = "payment"  # left out of the timeline when the council charges nothing

    OUTCOMES = (
        Outcome(
            REFUSED,
            Text("Application refused", "Cais wedi'i wrthod"),
            Text(
                "We cannot give you a Blue Badge. The reason is in the message we sent you.",
                "Ni allwn roi Bathodyn Glas i chi. Mae'r rheswm yn y neges a anfonwyd atoch.",
            ),
            next=Text(
                "If you think the decision is wrong, you can ask the council to look at it again "
                "(a review) within 28 days of the decision. Contact them using the details on "
                "this page and give your reference number. You can also apply again if your "
                "circumstances change.",
                "Os ydych yn credu bod y penderfyniad yn anghywir, gallwch ofyn i'r cyngor edrych "
                "arno eto (adolygiad) o fewn 28 diwrnod i'r penderfyniad. Cysylltwch â nhw gan "
                "ddefnyddio'r manylion ar y dudalen hon a rhowch eich cyfeirnod. Gallwch hefyd "
                "wneud cais eto os bydd eich amgylchiadau'n newid.",
            ),
        ),
        Outcome(
            WITHDRAWN,
            Text("Application withdrawn", "Cais wedi'i dynnu'n ôl"),
            Text(
                "You withdrew your application. You can apply again at any time.",
                "Gwnaethoch dynnu eich cais yn ôl. Gallwch wneud cais eto ar unrhyw adeg.",
            ),
        ),
    )

    CITIZEN_ACTIONS = {
        EVIDENCE_REQUESTED: CitizenAction(
            "send_evidence", Text("Send more evidence", "Anfon rhagor o dystiolaeth")
        ),
        AWAITING_PAYMENT: CitizenAction("pay", Text("Pay {fee}", "Talu {fee}")),
    }

    class Meta:
        proxy = True
        verbose_name = "Blue Badge application"

    def _approval_target(self) -> str:
        return AWAITING_PAYMENT if self.fee_pence() > 0 else APPROVED

    @transition(
        field="state",
        source=[SUBMITTED, EVIDENCE_RECEIVED, IN_ASSESSMENT],
        target=EVIDENCE_REQUESTED,
        custom=step(
            Text("Request more evidence", "Gofyn am ragor o dystiolaeth"),
            {CASEWORKER},
            public=Text("We asked you for more evidence", "Gwnaethom ofyn am ragor o dystiolaeth"),
            hooks=(Notify("evidence_requested"),),
            message="required",
        ),
    )
    def request_evidence(self):
        """A caseworker asks the applicant for more evidence, saying what is needed."""

    @transition(
        field="state",
        source=EVIDENCE_REQUESTED,
        target=EVIDENCE_RECEIVED,
        custom=step(
            Text("Evidence received", "Tystiolaeth wedi dod i law"),
            {CITIZEN, CASEWORKER, PARTNER},
            public=Text("We received your evidence", "Cawsom eich tystiolaeth"),
            hooks=(Notify("evidence_received"),),
            announces=("evidence.received",),
        ),
    )
    def receive_evidence(self):
        """The applicant sends evidence (or a caseworker logs evidence that came by post)."""

    @transition(
        field="state",
        source=[SUBMITTED, EVIDENCE_RECEIVED],
        target=IN_ASSESSMENT,
        custom=step(
            Text("Start assessment", "Dechrau asesu"),
            STAFF,
            public=Text(
                "A caseworker started assessing your application",
                "Dechreuodd gweithiwr achos asesu eich cais",
            ),
        ),
    )
    def start_assessment(self):
        """A caseworker (or the council's back office) starts the assessment."""

    @transition(
        field="state",
        source=IN_ASSESSMENT,
        target=GET_STATE(
            lambda case, *args, **kwargs: case._approval_target(),
            states=[AWAITING_PAYMENT, APPROVED],
        ),
        custom=step(
            Text("Approve", "Cymeradwyo"),
            {CASEWORKER},
            public=Text("Your application was approved", "Cafodd eich cais ei gymeradwyo"),
            hooks=(
                RequestPayment(when=AWAITING_PAYMENT),
                Notify("payment_requested", when=AWAITING_PAYMENT),
                Notify("application_approved", when=APPROVED),
            ),
            message="optional",
        ),
    )
    def approve(self):
        """A caseworker approves; the case then waits for the fee if the council charges one."""
        self.details["approved_at"] = timezone.now().isoformat()

    @transition(
        field="state",
        source=[AWAITING_PAYMENT, PAYMENT_UNKNOWN],
        target=APPROVED,
        custom=step(
            Text("Payment received", "Taliad wedi dod i law"),
            {SYSTEM, CASEWORKER},
            public=Text("We received your payment", "Cawsom eich taliad"),
            hooks=(Notify("payment_received"),),
            announces=("payment.paid",),
        ),
    )
    def payment_received(self):
        """The payment provider confirms the fee was paid (or a caseworker confirms it)."""

    @transition(
        field="state",
        source=AWAITING_PAYMENT,
        target=PAYMENT_UNKNOWN,
        custom=step(
            Text("Payment status unknown", "Statws y taliad yn anhysbys"),
            {SYSTEM, CASEWORKER},
            public=Text("We are checking your payment", "Rydym yn gwirio eich taliad"),
            reason_required=True,
        ),
    )
    def payment_unknown(self):
        """The provider cannot say whether the citizen paid; the council chases it."""

    @transition(
        field="state",
        source=PAYMENT_UNKNOWN,
        target=AWAITING_PAYMENT,
        custom=step(
            Text("Payment not received", "Taliad heb ddod i law"),
            {SYSTEM, CASEWORKER},
            public=Text(
                "We did not receive your payment: please pay again",
                "Ni chawsom eich taliad: talwch eto",
            ),
            hooks=(RequestPayment(), Notify("payment_requested")),
            reason_required=True,
        ),
    )
    def payment_not_received(self):
        """After chasing, the council finds no payment: the citizen is asked to pay again."""

    @transition(
        field="state",
        source=APPROVED,
        target=BADGE_ORDERED,
        custom=step(
            Text("Order badge", "Archebu bathodyn"),
            STAFF,
            public=Text("We ordered your badge", "Gwnaethom archebu eich bathodyn"),
            hooks=(Notify("badge_ordered"),),
        ),
    )
    def order_badge(self):
        """A caseworker (or the badge supplier's system) orders the badge."""

    @transition(
        field="state",
        source=BADGE_ORDERED,
        target=BADGE_DISPATCHED,
        custom=step(
            Text("Badge dispatched", "Bathodyn wedi'i anfon"),
            STAFF,
            public=Text("We posted your badge", "Gwnaethom bostio eich bathodyn"),
            hooks=(Notify("badge_dispatched"),),
        ),
    )
    def dispatch_badge(self):
        """The badge is posted; the case closes."""

    @transition(
        field="state",
        source=BEFORE_DECISION,
        target=REFUSED,
        custom=step(
            Text("Refuse", "Gwrthod"),
            {CASEWORKER},
            public=Text("Your application was refused", "Cafodd eich cais ei wrthod"),
            hooks=(Notify("application_refused"),),
            reason_required=True,
            message="required",
            destructive=True,
        ),
    )
    def refuse(self):
        """A caseworker refuses the application, telling the applicant why."""

    @transition(
        field="state",
        source=AWAITING_PAYMENT,
        target=WITHDRAWN,
        custom=step(
            Text("Close: fee not paid", "Cau: ffi heb ei thalu"),
            {SYSTEM},
            public=Text(
                "We closed your application because the fee was not paid",
                "Gwnaethom gau eich cais oherwydd na thalwyd y ffi",
            ),
            hooks=(Notify("application_closed_unpaid"),),
        ),
    )
    def close_unpaid(self):
        """The payment request expired unpaid after reminders (the nightly job)."""

    @transition(
        field="state",
        source=[*BEFORE_DECISION, AWAITING_PAYMENT, PAYMENT_UNKNOWN],
        target=WITHDRAWN,
        custom=step(
            Text("Withdraw", "Tynnu'n ôl"),
            {CITIZEN, CASEWORKER},
            public=Text("The application was withdrawn", "Cafodd y cais ei dynnu'n ôl"),
            hooks=(Notify("application_withdrawn"),),
            destructive=True,
            on_behalf=True,
        ),
    )
    def withdraw(self):
        """The applicant withdraws (or a caseworker does it at their request)."""
