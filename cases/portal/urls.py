from django.urls import path

from cases.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("language/<str:code>/", views.choose_language, name="language"),
    path("track/", views.track, name="track"),
    path("track/<str:reference>/", views.timeline, name="timeline"),
]

# What a citizen can do from their timeline (cases/portal/manage.py).
from cases.portal import manage, more_evidence  # noqa: E402

urlpatterns += [
    path("track/<str:reference>/contact/", manage.contact, name="contact"),
    path("track/<str:reference>/withdraw/", manage.withdraw, name="withdraw"),
    path("track/<str:reference>/fixed/", manage.fixed, name="fixed"),
    path("track/<str:reference>/evidence/", more_evidence.send_evidence, name="evidence"),
]

# Apply for a Blue Badge and report a street problem (cases/portal/apply.py, report.py).
from cases.portal import apply, report  # noqa: E402

urlpatterns += [
    path("apply/resume/<uuid:token>/", apply.resume, name="apply-resume"),
    path("apply/<slug:council>/blue-badge/", apply.start, name="apply-start"),
    path(
        "apply/<slug:council>/blue-badge/check-answers/",
        apply.check_answers,
        name="apply-check",
    ),
    path(
        "apply/<slug:council>/blue-badge/confirmation/",
        apply.confirmation,
        name="apply-confirmation",
    ),
    path("apply/<slug:council>/blue-badge/saved/", apply.saved, name="apply-saved"),
    path("apply/<slug:council>/blue-badge/<slug:step>/", apply.question, name="apply-step"),
    path("report/<slug:council>/", report.start, name="report-start"),
    path("report/<slug:council>/check-answers/", report.check_answers, name="report-check"),
    path("report/<slug:council>/confirmation/", report.confirmation, name="report-confirmation"),
    path("report/<slug:council>/<slug:step>/", report.question, name="report-step"),
]
