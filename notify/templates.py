"""The message templates Waymark sends, declared in code.

Each event has English and Welsh text for email (subject and body; letters use the same)
and for text messages, in GOV.UK Notify's template syntax: ((placeholder)). The keys a
template needs are read from its text, so a row missing one is refused when it is created,
not when it is sent. Councils create the same templates in their Notify account and put
the template IDs in their service settings; `manage.py check_notify_templates` compares
the two.

Naming convention: in the council's Notify account each template is named
``waymark <event> <channel> <language>`` — the event as in TEMPLATES, the channel
``email``, ``sms`` or ``letter`` (a letter template has the email's subject and body) and
the language ``en`` or ``cy``: "waymark application_received email en", "waymark
application_received sms cy". Names are compared ignoring capitals, and any run of spaces
or underscores counts as one separator ("Waymark Application Received SMS CY" matches).
With those names, `manage.py link_notify_templates --council <slug> [--apply]` or the
council's "Link Notify templates" admin page reads the account and saves the IDs (see
`notify.linking`), instead of typing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases.workflows.base import Text

PLACEHOLDER = re.compile(r"\(\(([^()]+?)\)\)")
TRACK = Text("Check your case at ((track_url))", "Gwiriwch eich achos yn ((track_url))")


# The type Notify gives a template, for each of our channels.
NOTIFY_TYPE = {"email": "email", "sms": "sms", "letter": "letter"}


def placeholders_in(template: dict) -> set[str]:
    """The placeholders of a template as Notify's API returns it."""
    text = (template.get("subject") or "") + "\n" + (template.get("body") or "")
    return {m.strip().lower() for m in PLACEHOLDER.findall(text)}


class MissingPersonalisation(ValueError):
    """A notification was created without a value its template needs."""


@dataclass(frozen=True)
class Template:
    event: str
    subject: Text
    body: Text  # email and letter
    sms: Text
    batch: bool = False  # offered for CSV batch sends

    def texts(self, channel: str, language: str) -> tuple[str, str]:
        """(subject, body) for a channel in a language; SMS has no subject."""
        pick = (lambda t: t.cy) if language == "cy" else (lambda t: t.en)
        if channel == "sms":
            return "", pick(self.sms)
        return pick(self.subject), pick(self.body)

    def placeholders(self, channel: str, language: str = "en") -> set[str]:
        subject, body = self.texts(channel, language)
        return {m.strip().lower() for m in PLACEHOLDER.findall(subject + "\n" + body)}

    def render(self, channel: str, language: str, personalisation: dict) -> tuple[str, str]:
        """Fills the placeholders, as Notify does; raises MissingPersonalisation."""
        missing = self.placeholders(channel, language) - set(personalisation)
        if missing:
            raise MissingPersonalisation(
                f"Template '{self.event}' ({channel}) needs: {', '.join(sorted(missing))}"
            )
        subject, body = self.texts(channel, language)
        return fill(subject, personalisation), fill(body, personalisation)


def _case_template(event, subject: Text, body: Text, sms: Text) -> Template:
    """A case notification: greeting, the news, what the caseworker wrote (when the body
    does not already quote it), the link to the timeline and how to reach the council."""
    note = "" if "((message))" in body.en else "((caseworker_message))"
    return Template(
        event=event,
        subject=subject,
        body=Text(
            f"Dear ((name)),\n\n{body.en}{note}\n\nYour reference number is ((reference))."
            f"\n\n{TRACK.en}\n\n((council))((council_contact))",
            f"Annwyl ((name)),\n\n{body.cy}{note}\n\nEich cyfeirnod yw ((reference))."
            f"\n\n{TRACK.cy}\n\n((council))((council_contact))",
        ),
        sms=Text(
            f"((council)): {sms.en} Ref ((reference)). ((short_url))((council_phone))",
            f"((council)): {sms.cy} Cyf ((reference)). ((short_url))((council_phone))",
        ),
    )


TEMPLATES: dict[str, Template] = {
    t.event: t
    for t in [
        _case_template(
            "application_received",
            Text("We have your Blue Badge application", "Mae eich cais am Fathodyn Glas gennym"),
            Text(
                "We have received your Blue Badge application. We will tell you when it moves on.",
                "Rydym wedi cael eich cais am Fathodyn Glas. Byddwn yn dweud wrthych pan fydd yn symud ymlaen.",
            ),
            Text("We have your Blue Badge application.", "Mae eich cais am Fathodyn Glas gennym."),
        ),
        _case_template(
            "report_received",
            Text("We have your report of ((problem))", "Mae eich adroddiad gennym: ((problem))"),
            Text(
                "Thank you for reporting ((problem)) at ((place)). An inspector will look at it.",
                "Diolch am roi gwybod i ni am y broblem hon: ((problem)), ((place)). Bydd "
                "arolygydd yn edrych arni.",
            ),
            Text(
                "Thank you for reporting ((problem)) at ((place)).",
                "Diolch am eich adroddiad: ((problem)), ((place)).",
            ),
        ),
        _case_template(
            "evidence_requested",
            Text(
                "We need more evidence for your Blue Badge application",
                "Mae angen rhagor o dystiolaeth ar gyfer eich cais am Fathodyn Glas",
            ),
            Text(
                "We need more evidence to decide your application:\n\n((message))",
                "Mae angen rhagor o dystiolaeth arnom i benderfynu ar eich cais:\n\n((message))",
            ),
            Text(
                "We need more evidence: ((message))", "Mae angen rhagor o dystiolaeth: ((message))"
            ),
        ),
        _case_template(
            "evidence_received",
            Text("We have your evidence", "Mae eich tystiolaeth gennym"),
            Text("We have received your evidence.", "Rydym wedi cael eich tystiolaeth."),
            Text("We have your evidence.", "Mae eich tystiolaeth gennym."),
        ),
        _case_template(
            "payment_requested",
            Text("Pay for your Blue Badge", "Talu am eich Bathodyn Glas"),
            Text(
                "Your application has been approved. Pay ((amount)) for your badge: ((pay_url))",
                "Mae eich cais wedi'i gymeradwyo. Talwch ((amount)) am eich bathodyn: ((pay_url))",
            ),
            Text(
                "Approved. Pay ((amount)): ((pay_url))",
                "Wedi'i gymeradwyo. Talwch ((amount)): ((pay_url))",
            ),
        ),
        _case_template(
            "payment_reminder",
            Text("Reminder: pay for your Blue Badge", "Nodyn atgoffa: talu am eich Bathodyn Glas"),
            Text(
                "We have not yet received your payment of ((amount)). Pay here: ((pay_url))",
                "Nid ydym wedi cael eich taliad o ((amount)) eto. Talwch yma: ((pay_url))",
            ),
            Text(
                "Reminder: pay ((amount)): ((pay_url))",
                "Nodyn atgoffa: talwch ((amount)): ((pay_url))",
            ),
        ),
        _case_template(
            "payment_received",
            Text("We have your payment", "Mae eich taliad gennym"),
            Text(
                "Thank you for your payment. We will now order your badge.",
                "Diolch am eich taliad. Byddwn nawr yn archebu eich bathodyn.",
            ),
            Text("Payment received, thank you.", "Taliad wedi dod i law, diolch."),
        ),
        _case_template(
            "application_approved",
            Text(
                "Your Blue Badge application has been approved",
                "Mae eich cais am Fathodyn Glas wedi'i gymeradwyo",
            ),
            Text(
                "Your application has been approved. We will order your badge.",
                "Mae eich cais wedi'i gymeradwyo. Byddwn yn archebu eich bathodyn.",
            ),
            Text("Your application is approved.", "Mae eich cais wedi'i gymeradwyo."),
        ),
        _case_template(
            "badge_ordered",
            Text("Your Blue Badge has been ordered", "Mae eich Bathodyn Glas wedi'i archebu"),
            Text("We have ordered your badge.", "Rydym wedi archebu eich bathodyn."),
            Text("Your badge has been ordered.", "Mae eich bathodyn wedi'i archebu."),
        ),
        _case_template(
            "badge_dispatched",
            Text("Your Blue Badge is on its way", "Mae eich Bathodyn Glas ar ei ffordd"),
            Text(
                "We have posted your badge. It should arrive within 5 working days.",
                "Rydym wedi postio eich bathodyn. Dylai gyrraedd o fewn 5 diwrnod gwaith.",
            ),
            Text("Your badge is in the post.", "Mae eich bathodyn yn y post."),
        ),
        _case_template(
            "application_refused",
            Text("Your Blue Badge application", "Eich cais am Fathodyn Glas"),
            Text(
                "We cannot give you a Blue Badge.\n\n((message))",
                "Ni allwn roi Bathodyn Glas i chi.\n\n((message))",
            ),
            Text(
                "Your application was refused. We have written to you.",
                "Cafodd eich cais ei wrthod. Rydym wedi ysgrifennu atoch.",
            ),
        ),
        _case_template(
            "application_withdrawn",
            Text(
                "Your Blue Badge application has been withdrawn",
                "Mae eich cais am Fathodyn Glas wedi'i dynnu'n ôl",
            ),
            Text(
                "Your application has been withdrawn. You can apply again at any time.",
                "Mae eich cais wedi'i dynnu'n ôl. Gallwch wneud cais eto ar unrhyw adeg.",
            ),
            Text("Your application is withdrawn.", "Mae eich cais wedi'i dynnu'n ôl."),
        ),
        _case_template(
            "application_closed_unpaid",
            Text(
                "Your Blue Badge application has been closed",
                "Mae eich cais am Fathodyn Glas wedi'i gau",
            ),
            Text(
                "We closed your application because the fee was not paid. You can apply again at any time.",
                "Gwnaethom gau eich cais oherwydd na thalwyd y ffi. Gallwch wneud cais eto ar unrhyw adeg.",
            ),
            Text("Application closed: the fee was not paid.", "Cais wedi'i gau: ni thalwyd y ffi."),
        ),
        _case_template(
            "withdraw_confirm",
            Text("Confirm you want to withdraw", "Cadarnhewch eich bod am dynnu'n ôl"),
            Text(
                "Reply WITHDRAW YES to withdraw your application.",
                "Atebwch WITHDRAW YES i dynnu eich cais yn ôl.",
            ),
            Text(
                "Reply WITHDRAW YES to withdraw your application.",
                "Atebwch WITHDRAW YES i dynnu eich cais yn ôl.",
            ),
        ),
        _case_template(
            "case_link",
            Text("A link to your case", "Dolen i'ch achos"),
            Text(
                "You asked for a link to your case. It works for 60 days.",
                "Gwnaethoch ofyn am ddolen i'ch achos. Mae'n gweithio am 60 diwrnod.",
            ),
            Text("Here is the link to your case.", "Dyma'r ddolen i'ch achos."),
        ),
        Template(
            event="which_case",
            subject=Text("Which case do you mean?", "Pa achos ydych chi'n ei olygu?"),
            body=Text(
                "Dear ((name)),\n\nYou have more than one case with us: ((references)).\n\n"
                "Reply with the reference number of the one you mean, then your message.\n\n"
                "((council))",
                "Annwyl ((name)),\n\nMae gennych fwy nag un achos gyda ni: ((references)).\n\n"
                "Atebwch gyda chyfeirnod yr un rydych yn ei olygu, ac yna eich neges.\n\n"
                "((council))",
            ),
            sms=Text(
                "((council)): you have more than one case with us: ((references)). Reply with "
                "the reference of the one you mean, then your message.",
                "((council)): mae gennych fwy nag un achos gyda ni: ((references)). Atebwch "
                "gyda chyfeirnod yr un rydych yn ei olygu, ac yna eich neges.",
            ),
        ),
        _case_template(
            "report_inspected",
            Text("We have inspected the problem you reported", "Rydym wedi archwilio'r broblem"),
            Text(
                "An inspector has looked at the problem you reported: ((problem)) at ((place)). "
                "We will arrange a repair.",
                "Mae arolygydd wedi edrych ar y broblem a adroddwyd gennych: ((problem)), "
                "((place)). Byddwn yn trefnu atgyweiriad.",
            ),
            Text(
                "We have inspected ((problem)) at ((place)).",
                "Rydym wedi archwilio'r broblem: ((problem)), ((place)).",
            ),
        ),
        _case_template(
            "report_duplicate",
            Text(
                "The problem you reported was already reported",
                "Roedd y broblem eisoes wedi'i hadrodd",
            ),
            Text(
                "Someone else reported ((problem)) at ((place)). We will fix it under their "
                "report.",
                "Mae rhywun arall wedi adrodd y broblem hon: ((problem)), ((place)). Byddwn yn ei "
                "thrwsio o dan eu hadroddiad nhw.",
            ),
            Text(
                "Someone else already reported ((problem)) at ((place)).",
                "Roedd y broblem hon wedi'i hadrodd eisoes: ((problem)), ((place)).",
            ),
        ),
        _case_template(
            "report_not_responsible",
            Text("The problem you reported", "Y broblem a adroddwyd gennych"),
            Text(
                "You reported ((problem)) at ((place)). This is not the council's to fix: "
                "((redirect_to))",
                "Gwnaethoch adrodd y broblem hon: ((problem)), ((place)). Nid y cyngor sy'n "
                "gyfrifol am drwsio hyn: ((redirect_to))",
            ),
            Text(
                "((problem)) at ((place)) is not ours to fix: ((redirect_to))",
                "((problem)), ((place)). Nid ni sy'n gyfrifol: ((redirect_to))",
            ),
        ),
        _case_template(
            "repair_scheduled",
            Text("A repair is booked", "Mae atgyweiriad wedi'i drefnu"),
            Text(
                "We have booked a repair for ((repair_date)).",
                "Rydym wedi trefnu atgyweiriad ar gyfer ((repair_date)).",
            ),
            Text("Repair booked for ((repair_date)).", "Atgyweiriad ar gyfer ((repair_date))."),
        ),
        _case_template(
            "repair_rescheduled",
            Text("The repair has a new date", "Mae gan yr atgyweiriad ddyddiad newydd"),
            Text(
                "The repair is now booked for ((repair_date)).",
                "Mae'r atgyweiriad bellach wedi'i drefnu ar gyfer ((repair_date)).",
            ),
            Text(
                "New repair date: ((repair_date)).", "Dyddiad atgyweirio newydd: ((repair_date))."
            ),
        ),
        _case_template(
            "repair_delayed",
            Text("The repair is late", "Mae'r atgyweiriad yn hwyr"),
            Text(
                "The repair did not happen on the date we gave you. We are booking a new date.",
                "Ni ddigwyddodd yr atgyweiriad ar y dyddiad a roesom i chi. Rydym yn trefnu dyddiad newydd.",
            ),
            Text(
                "Sorry, the repair is late. We will give you a new date.",
                "Mae'n ddrwg gennym, mae'r atgyweiriad yn hwyr. Byddwn yn rhoi dyddiad newydd i chi.",
            ),
        ),
        _case_template(
            "report_fixed",
            Text("Is it fixed?", "A yw wedi'i drwsio?"),
            Text(
                "We have fixed the problem you reported: ((problem)) at ((place)). If it is not "
                "fixed, tell us within 14 days.",
                "Rydym wedi trwsio'r broblem a adroddwyd gennych: ((problem)), ((place)). Os nad "
                "yw wedi'i thrwsio, dywedwch wrthym o fewn 14 diwrnod.",
            ),
            Text(
                "We have fixed ((problem)) at ((place)). Reply FIXED or NOT FIXED.",
                "Rydym wedi trwsio'r broblem: ((problem)), ((place)). Atebwch FIXED neu NOT FIXED.",
            ),
        ),
        _case_template(
            "report_reopened",
            Text("We have reopened your report", "Rydym wedi ailagor eich adroddiad"),
            Text(
                "You told us ((problem)) at ((place)) is not fixed, so we have reopened your "
                "report.",
                "Gwnaethoch ddweud wrthym nad yw'r broblem hon wedi'i thrwsio: ((problem)), "
                "((place)). Rydym wedi ailagor eich adroddiad.",
            ),
            Text(
                "Your report of ((problem)) at ((place)) is reopened.",
                "Mae eich adroddiad wedi'i ailagor: ((problem)), ((place)).",
            ),
        ),
        Template(
            event="follow_confirm",
            subject=Text(
                "Confirm you want updates about a report",
                "Cadarnhewch eich bod am gael newyddion am adroddiad",
            ),
            body=Text(
                "You asked for updates about report ((reference)): ((problem)) at ((place)).\n\n"
                "To start getting them, confirm here: ((confirm_url))\n\nIf you did not ask, "
                "ignore this message: we will not send you anything else.\n\n((council))",
                "Gwnaethoch ofyn am newyddion am adroddiad ((reference)): ((problem)), "
                "((place)).\n\nI ddechrau eu cael, cadarnhewch yma: ((confirm_url))\n\nOs na "
                "wnaethoch ofyn, anwybyddwch y neges hon: ni fyddwn yn anfon dim arall atoch."
                "\n\n((council))",
            ),
            sms=Text(
                "((council)): confirm updates on report ((reference)): ((confirm_url)) "
                "Did not ask? Ignore this.",
                "((council)): cadarnhewch newyddion am adroddiad ((reference)): "
                "((confirm_url)) Heb ofyn? Anwybyddwch hwn.",
            ),
        ),
        Template(
            event="follow_update",
            subject=Text("Update on report ((reference))", "Newyddion am adroddiad ((reference))"),
            body=Text(
                "((update))\n\nReport ((reference)): ((problem)) at ((place)).\n\n"
                "To stop getting updates about this report: ((stop_url))\n\n((council))",
                "((update))\n\nAdroddiad ((reference)): ((problem)), ((place)).\n\n"
                "I roi'r gorau i gael newyddion am yr adroddiad hwn: ((stop_url))\n\n((council))",
            ),
            sms=Text(
                "((council)): report ((reference)), ((problem)) at ((place)): ((update)) "
                "Stop: ((stop_url))",
                "((council)): adroddiad ((reference)), ((problem)), ((place)): ((update)) "
                "Stopio: ((stop_url))",
            ),
        ),
        Template(
            event="webhook_failing",  # to the council's admins, in English
            subject=Text("Webhook ((webhook)) is failing", "Mae bachyn gwe ((webhook)) yn methu"),
            body=Text(
                "Deliveries of ((council))'s case events to ((webhook)) (((url))) have failed "
                "since ((failing_since)).\n\n((news))\n\nThe delivery log, and the button to "
                "enable it again: ((admin_url))",
                "Mae anfon digwyddiadau achos ((council)) at ((webhook)) (((url))) wedi methu "
                "ers ((failing_since)).\n\n((news))\n\nY log anfon, a'r botwm i'w alluogi "
                "eto: ((admin_url))",
            ),
            sms=Text(
                "((council)): webhook ((webhook)) is failing. ((admin_url))",
                "((council)): mae bachyn gwe ((webhook)) yn methu. ((admin_url))",
            ),
        ),
        Template(
            "announcement",
            subject=Text("((subject))", "((subject))"),
            body=Text("Dear ((name)),\n\n((message))", "Annwyl ((name)),\n\n((message))"),
            sms=Text("((message))", "((message))"),
            batch=True,
        ),
    ]
}


# What a report's followers are told when the report moves on (`follow_update`): the
# news anyone may know, never what was said to the person who made the report.
FOLLOWER_UPDATES: dict[str, Text] = {
    "report_inspected": Text(
        "An inspector has looked at it. We will arrange a repair.",
        "Mae arolygydd wedi edrych arni. Byddwn yn trefnu atgyweiriad.",
    ),
    "report_duplicate": Text(
        "It was reported before: we will fix it under the earlier report.",
        "Roedd wedi'i hadrodd o'r blaen: byddwn yn ei thrwsio o dan yr adroddiad cynharach.",
    ),
    "report_not_responsible": Text(
        "It is not the council's to fix: ((redirect_to))",
        "Nid y cyngor sy'n gyfrifol am ei thrwsio: ((redirect_to))",
    ),
    "repair_scheduled": Text(
        "A repair is booked for ((repair_date)).",
        "Mae atgyweiriad wedi'i drefnu ar gyfer ((repair_date)).",
    ),
    "repair_rescheduled": Text(
        "The repair is now booked for ((repair_date)).",
        "Mae'r atgyweiriad bellach wedi'i drefnu ar gyfer ((repair_date)).",
    ),
    "repair_delayed": Text(
        "The repair is late. We are booking a new date.",
        "Mae'r atgyweiriad yn hwyr. Rydym yn trefnu dyddiad newydd.",
    ),
    "report_fixed": Text("We have fixed it.", "Rydym wedi'i thrwsio."),
    "report_reopened": Text(
        "It is not fixed after all, so we have reopened the report.",
        "Nid yw wedi'i thrwsio wedi'r cyfan, felly rydym wedi ailagor yr adroddiad.",
    ),
}


def fill(text: str, values: dict) -> str:
    """Fills a text's placeholders from `values`, as Notify does; raises
    MissingPersonalisation naming what is missing."""
    missing = {m.strip().lower() for m in PLACEHOLDER.findall(text)} - set(values)
    if missing:
        raise MissingPersonalisation(f"Missing: {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1).strip().lower()]), text)


def get_template(event: str) -> Template:
    try:
        return TEMPLATES[event]
    except KeyError:
        raise MissingPersonalisation(f"No template is declared for the event '{event}'") from None
