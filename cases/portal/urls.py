from django.urls import path

from cases.portal import apply, manage, more_evidence, report, views
from cases.portal.drafts import journey_urls

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("language/<str:code>/", views.choose_language, name="language"),
    # Find a case, and what a citizen can do from its timeline.
    path("track/", views.track, name="track"),
    path("track/<str:reference>/", views.timeline, name="timeline"),
    path("track/<str:reference>/contact/", manage.contact, name="contact"),
    path("track/<str:reference>/withdraw/", manage.withdraw, name="withdraw"),
    path("track/<str:reference>/fixed/", manage.fixed, name="fixed"),
    path("track/<str:reference>/evidence/", more_evidence.send_evidence, name="evidence"),
    # Apply for a Blue Badge; report a street problem.
    path("apply/resume/<uuid:token>/", apply.resume, name="apply-resume"),
    *journey_urls("apply/<slug:council>/blue-badge/", "apply", apply.BLUE_BADGE),
    *journey_urls("report/<slug:council>/", "report", report.STREET_REPORT),
]
