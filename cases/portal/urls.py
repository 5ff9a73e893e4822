from django.urls import path
from django.views.decorators.cache import never_cache

from cases.portal import apply, follow, manage, more_evidence, pages, report, sent, views
from cases.portal.drafts import journey_urls

app_name = "portal"

# Every page that shows or takes a citizen's personal data is never stored by a browser or
# a shared cache (Cache-Control: no-store, private): the timeline, its actions, and every
# page of a journey (the journeys' own URLs are wrapped in drafts.journey_urls).
urlpatterns = [
    path("", views.start, name="start"),
    path("language/<str:code>/", views.choose_language, name="language"),
    # The footer's pages, and where the phase banner's feedback link goes by default.
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("privacy/", pages.privacy, name="privacy"),
    path("cookies/", pages.cookies, name="cookies"),
    path("feedback/", pages.feedback, name="feedback"),
    # Find a case, and what a citizen can do from its timeline.
    path("track/", never_cache(views.track), name="track"),
    path("track/send-link/", never_cache(views.send_link), name="send-link"),
    path("t/<str:token>", never_cache(views.short_link), name="short-link"),
    path("track/sign-out/", never_cache(pages.sign_out), name="sign-out"),  # before <reference>
    path("track/<str:reference>/", never_cache(views.timeline), name="timeline"),
    path("track/<str:reference>/contact/", never_cache(manage.contact), name="contact"),
    path("track/<str:reference>/files/<int:pk>/", never_cache(sent.file), name="file"),
    path("track/<str:reference>/withdraw/", never_cache(manage.withdraw), name="withdraw"),
    path("track/<str:reference>/fixed/", never_cache(manage.fixed), name="fixed"),
    path(
        "track/<str:reference>/evidence/",
        never_cache(more_evidence.send_evidence),
        name="evidence",
    ),
    # A report's follower confirms or stops their updates (the links in their messages).
    path("follow/<str:token>/confirm/", never_cache(follow.confirm), name="follow-confirm"),
    path("follow/<str:token>/stop/", never_cache(follow.stop), name="follow-stop"),
    # Apply for a Blue Badge; report a street problem.
    path("apply/resume/<uuid:token>/", never_cache(apply.resume), name="apply-resume"),
    *journey_urls("apply/<slug:council>/blue-badge/", "apply", apply.BLUE_BADGE),
    *journey_urls("report/<slug:council>/", "report", report.STREET_REPORT),
]
