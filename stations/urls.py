"""The operator pages, at the site root (chargenet.urls includes them at `/`).

Station ids may hold spaces, `+` and any UTF-8 text: `{% url %}` percent-encodes
them, and `<str:...>` matches the decoded segment (ids never hold `/`).
"""

from django.urls import path

from stations import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("stations/", views.station_list, name="station-list"),
    path("stations/<str:station_id>/", views.station_detail, name="station"),
    path("stations/<str:station_id>/messages/", views.station_messages, name="station-messages"),
    path(
        "stations/<str:station_id>/sessions/<int:session_pk>/samples/",
        views.session_samples,
        name="session-samples",
    ),
    path(
        "stations/<str:station_id>/commands/<slug:action>/",
        views.station_command,
        name="station-command",
    ),
    path("sessions/", views.session_list, name="session-list"),
]
