"""The citizen's pages in Welsh: with the language cookie set to cy, every page a citizen
sees is in Welsh (the start page, finding a case and its errors, the timeline, a question
page, a payment page), and the Welsh catalogue is complete and compiled.

The catalogue checks fail when a citizen-facing string is added or changed without its
Welsh: run makemessages, translate, then compilemessages (see cases/locale/)."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from cases.models import PaymentProvider, Service
from cases.services import Actor, case_transition
from tests.factories import council, new_case

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "cases" / "locale" / "cy" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# Where every string is seen by citizens: each must have its Welsh.
CITIZEN_SOURCES = ("templates/portal/", "templates/payments/", "templates/components/")
CITIZEN_PYTHON = "cases/portal/"
# English that must never be left on a Welsh page.
ENGLISH = ("There is a problem", "Continue", "Reference number", "Error:", "Back<")


# --- The .po file, read with the standard library ----------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def po_entries(path: Path = PO) -> list[dict]:
    """Each entry: msgid, msgid_plural, msgstr (a list: one item, or one per plural form),
    references (file paths) and flags."""
    entries, current, key = [], None, None

    def finish():
        if current is not None and "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current, key = None, None
            continue
        if current is None:
            current = {"references": [], "flags": set(), "msgstr": {}}
        if line.startswith("#~"):  # an obsolete entry: not in use
            current["obsolete"] = True
        elif line.startswith("#:"):
            current["references"] += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
        elif line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if key.startswith("msgstr"):
                current["msgstr"][key] += _unquote(line)
            else:
                current[key] += _unquote(line)
        else:
            key, _space, value = line.partition(" ")
            if key.startswith("msgstr"):
                current["msgstr"][key] = _unquote(value)
            else:
                current[key] = _unquote(value)
    finish()
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][k] for k in sorted(entry["msgstr"])]
    return [e for e in entries if not e.get("obsolete")]


def is_citizen_facing(entry: dict) -> bool:
    return any(ref.startswith((*CITIZEN_SOURCES, CITIZEN_PYTHON)) for ref in entry["references"])


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)s", text))


@pytest.fixture(autouse=True)
def _back_to_english():
    """A Welsh request leaves Welsh active in this thread: later tests expect English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="module")
def entries():
    assert PO.exists(), "no Welsh catalogue: run makemessages -l cy (see cases/locale/)"
    return po_entries()


def test_the_catalogue_has_no_fuzzy_entries(entries):
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == [], "fuzzy entries are not used at run time: translate them"


def test_every_citizen_facing_string_is_translated(entries):
    header = [e for e in entries if e["msgid"] == ""]
    assert header
    assert "Language: cy" in header[0]["msgstr"][0]
    citizen = [e for e in entries if e["msgid"] and is_citizen_facing(e)]
    assert len(citizen) > 200  # the whole portal, not a part of it
    untranslated = [e["msgid"] for e in citizen if not all(e["msgstr"])]
    assert untranslated == []


def test_translations_keep_their_placeholders(entries):
    for entry in entries:
        if not entry["msgid"] or not all(entry["msgstr"]):
            continue
        wanted = placeholders(entry["msgid"]) | placeholders(entry.get("msgid_plural", ""))
        for text in entry["msgstr"]:
            assert placeholders(text) == wanted, (entry["msgid"], text)


def _template_strings(path: Path) -> set[str]:
    """The msgids of a template's {% translate %} and simple {% blocktranslate %} tags."""
    source = path.read_text(encoding="utf-8")
    found = {
        _unquote(m.group(1))
        for m in re.finditer(r"{%\s*(?:translate|trans)\s+(\"[^\"]*\"|'[^']*')", source)
    }
    for m in re.finditer(
        r"{%\s*blocktranslate(?P<args>[^%]*)%}(?P<body>.*?){%\s*endblocktranslate\s*%}",
        source,
        re.S,
    ):
        if "count" in m.group("args") or "trimmed" in m.group("args"):
            continue
        found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group("body")))
    return found


def _python_strings(path: Path) -> set[str]:
    """The constant strings given to _(), gettext() or gettext_lazy() in a module."""
    names = {"_", "gettext", "gettext_lazy"}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in names
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def test_the_catalogue_has_every_string_of_the_citizen_pages(entries):
    """Catches a string added since makemessages last ran."""
    translated = {e["msgid"] for e in entries if all(e["msgstr"])}
    missing = {}
    for folder in CITIZEN_SOURCES:
        for path in sorted((ROOT / folder).rglob("*.html")):
            for msgid in _template_strings(path) - translated:
                missing.setdefault(str(path.relative_to(ROOT)), []).append(msgid)
    for path in sorted((ROOT / CITIZEN_PYTHON).glob("*.py")):
        for msgid in _python_strings(path) - translated:
            missing.setdefault(str(path.relative_to(ROOT)), []).append(msgid)
    assert missing == {}, "run makemessages -l cy, translate, then compilemessages"


def test_the_compiled_catalogue_matches_the_po_file(entries):
    """django.mo is what is read at run time: it must hold every translation of the .po."""
    assert MO.exists(), "run compilemessages"
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in entries:
        if not entry["msgid"] or not all(entry["msgstr"]) or "fuzzy" in entry["flags"]:
            continue
        if "msgid_plural" in entry:
            for n, form in ((1, 0), (2, 1), (3, 2)):
                got = catalogue.ngettext(entry["msgid"], entry["msgid_plural"], n)
                assert got == entry["msgstr"][form], "django.mo is out of date: compilemessages"
        else:
            got = catalogue.gettext(entry["msgid"])
            assert got == entry["msgstr"][0], "django.mo is out of date: compilemessages"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext (msgfmt) not installed")
def test_the_po_file_passes_msgfmt_check(tmp_path):
    result = subprocess.run(
        [shutil.which("msgfmt"), "--check", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "prefixes"),
    [
        ("", None),
        ("BB-4K7M", None),
        ("BB-4K7M-Q9XA-W3S", None),
        ("BB-4K7M-Q9XA-W3O", None),
        ("BB-1L1-I!", None),
        ("XY-4K7M-Q9XA-W3R", ["BB", "ST"]),
        ("XY-4K7M-Q9XA-W3R", ["BB"]),
    ],
)
def test_reference_errors_in_english_are_process_ids_own(text, prefixes):
    """The portal words process_id's errors itself, to translate them: in English they
    are the same messages."""
    from cases import process_id
    from cases.portal.forms import reference_error

    with pytest.raises(process_id.InvalidProcessID) as error:
        process_id.parse(text, prefixes)
    assert error.value.code
    with translation.override("en"):
        assert reference_error(error.value) == str(error.value)


# --- The pages ---------------------------------------------------------------------------


@pytest.fixture
def welsh(client):
    client.cookies["waymark_language"] = "cy"
    return client


@pytest.fixture
def organisation(db):
    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    return organisation


def html_of(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page's words, without markup."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def assert_welsh(response, *welsh: str) -> None:
    html = html_of(response)
    assert '<html lang="cy"' in html
    words = text_of(response)
    for phrase in welsh:
        assert phrase in words, phrase
    for phrase in ENGLISH:
        assert phrase not in html, phrase


def heading(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html_of(response), re.S)
    assert match, "no h1"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def title(response) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html_of(response), re.S).group(1))


def test_the_start_page_is_in_welsh(welsh, organisation):
    response = welsh.get("/")
    assert response.status_code == 200
    assert heading(response) == "Gwneud cais, rhoi gwybod am broblem a dilyn eich achos"
    assert_welsh(
        response,
        "Neidio i'r prif gynnwys",
        "Defnyddiwch y gwasanaeth hwn i:",
        "Dod o hyd i'ch achos",
        "Gwneud cais am Fathodyn Glas",
        "Rhoi gwybod am broblem ar y stryd",
        "Drwydded Llywodraeth Agored v3.0",
    )
    html = html_of(response)
    assert 'aria-current="true" lang="cy">Cymraeg</span>' in html
    assert 'lang="en" hreflang="en">English</a>' in html  # the way back to English


def test_english_is_still_the_default(client, organisation):
    response = client.get("/")
    assert '<html lang="en"' in html_of(response)
    assert heading(response) == "Apply, report and track your case"


def test_the_language_toggle_sets_welsh(client, organisation):
    response = client.get("/language/cy/?next=/track/")
    assert response.status_code == 302
    assert response["Location"] == "/track/"
    assert client.cookies["waymark_language"].value == "cy"
    assert heading(client.get("/track/")) == "Dod o hyd i'ch achos"


def test_the_track_page_is_in_welsh(welsh, db):
    response = welsh.get("/track/")
    assert response.status_code == 200
    assert heading(response) == "Dod o hyd i'ch achos"
    assert title(response) == "Dod o hyd i'ch achos – Waymark"
    assert_welsh(
        response,
        "Rhif cyfeirnod",
        "Er enghraifft, BB-4K7M-Q9XA-W3R.",
        "Cod post, cyfeiriad e-bost neu rif ffôn symudol",
        "Parhau",
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "Rhowch eich rhif cyfeirnod"),
        ("BB-4K7M", "Dylai eich rhif cyfeirnod fod yn 13 nod, fel BB-4K7M-Q9XA-W3R"),
        ("BB-4K7M-Q9XA-W3S", "Gwiriwch eich rhif cyfeirnod: mae'n edrych fel bod un nod"),
        ("BB-4K7M-Q9XO-W30", "nad ydynt byth yn cael eu defnyddio mewn rhifau cyfeirnod: O a 0"),
        ("XY-4K7M-Q9XA-W3R", "Dylai eich rhif cyfeirnod ddechrau gyda BB neu ST"),
    ],
)
def test_a_wrong_reference_is_explained_in_welsh(welsh, db, reference, message):
    response = welsh.post("/track/", {"reference": reference, "postcode_or_email": "AB1 2CD"})
    assert response.status_code == 400
    assert title(response).startswith("Gwall: Dod o hyd i'ch achos")
    assert_welsh(response, "Mae problem", "Gwall:", message)
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html_of(response), re.S)
    assert summary
    assert message in unescape(summary.group(0))


def test_a_case_that_is_not_found_is_explained_in_welsh(welsh, organisation):
    case = new_case(organisation)
    response = welsh.post("/track/", {"reference": case.reference, "postcode_or_email": "ZZ9 9ZZ"})
    assert response.status_code == 400
    assert_welsh(
        response,
        "Mae problem",
        "Nid oeddem yn gallu dod o hyd i achos gyda'r rhif cyfeirnod a'r cod post",
    )


def test_the_timeline_is_in_welsh(welsh, organisation):
    case = new_case(organisation)
    response = welsh.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"})
    assert response.status_code == 302
    response = welsh.get(response["Location"])
    assert response.status_code == 200
    assert heading(response) == "Mae eich cais gennym"  # the workflow's Welsh words for the state
    assert_welsh(
        response,
        "Cais am Fathodyn Glas",
        f"Rhif cyfeirnod: {case.reference}",
        "Beth sy'n digwydd nawr",
        "Mae eich cais gennym a byddwn yn ei wirio.",
        "Beth sy'n digwydd nesaf",
        "Rydym yn cysylltu â chi drwy E-bost",
        "Newid sut rydym yn cysylltu â chi",
        "Beth sydd wedi digwydd",
        "Tynnu eich cais yn ôl",
    )
    assert "Application received" not in text_of(response)
    # Dates and times in Welsh: "5 Ionawr 2026 am 6:07y.h.", not "… at …".
    times = re.findall(r'<p class="moj-timeline__date">.*?</p>', html_of(response), re.S)
    assert times
    for time in times:
        assert re.search(r">\d{1,2} \w+ \d{4} am \d{1,2}:\d{2}", time), time


def test_the_first_apply_question_is_in_welsh(welsh, organisation):
    start = welsh.get("/apply/northshire/blue-badge/")
    assert_welsh(start, "Gwneud cais am Fathodyn Glas", "Dechrau nawr", "eich dyddiad geni")
    response = welsh.get("/apply/northshire/blue-badge/eligibility/")
    assert response.status_code == 200
    assert heading(response) == "Pam rydych yn gymwys i gael Bathodyn Glas?"
    assert_welsh(
        response,
        "Yn ôl",
        "Dyfarniad symudedd y Taliad Annibyniaeth Personol (PIP)",
        "Anhawster cerdded",
        "Parhau",
        "Cadw a dod yn ôl nes ymlaen",
    )
    invalid = welsh.post("/apply/northshire/blue-badge/eligibility/", {"action": "continue"})
    assert invalid.status_code == 400
    assert title(invalid).startswith("Gwall: Pam rydych yn gymwys")
    assert_welsh(invalid, "Mae problem", "Dewiswch pam rydych yn gymwys i gael Bathodyn Glas")


def test_the_payment_page_is_in_welsh(welsh, organisation, admin_user):
    case = new_case(organisation)
    caseworker = Actor.caseworker(admin_user)
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    case = case_transition(case=case, transition="approve", actor=caseworker)
    payment = case.payment_requests.get()
    response = welsh.get(f"/pay/{payment.pk}/")
    assert response.status_code == 200
    assert heading(response) == "Talu £10.00"
    assert title(response) == "Talu eich ffi – Waymark"
    assert_welsh(response, "Ar gyfer", "Rhif cyfeirnod", case.reference, "Swm", "Parhau i dalu")
