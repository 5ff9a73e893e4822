from django.urls import path

from cases.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("language/<str:code>/", views.choose_language, name="language"),
    path("track/", views.track, name="track"),
    path("track/<str:reference>/", views.timeline, name="timeline"),
]
