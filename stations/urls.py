"""The operator pages, at the site root (chargenet.urls includes them at `/`).

Station ids may hold spaces, `+` and any UTF-8 text: `{% url %}` percent-encodes
them, and `<str:...>` matches the decoded segment (ids never hold `/`).
"""

from django.urls import path

from stations.commands.views import station_command
from stations.views.device_model import device_model
from stations.views.network import overview
from stations.views.sessions import session_detail, session_list
from stations.views.station_pages import (
    session_samples,
    station_detail,
    station_list,
    station_messages,
)

app_name = "dashboard"

urlpatterns = [
    path("", overview, name="overview"),
    path("stations/", station_list, name="station-list"),
    path("stations/<str:station_id>/", station_detail, name="station"),
    path("stations/<str:station_id>/messages/", station_messages, name="station-messages"),
    path("stations/<str:station_id>/device-model/", device_model, name="station-device-model"),
    path(
        "stations/<str:station_id>/sessions/<int:session_pk>/samples/",
        session_samples,
        name="session-samples",
    ),
    path(
        "stations/<str:station_id>/commands/<slug:action>/",
        station_command,
        name="station-command",
    ),
    path("sessions/", session_list, name="session-list"),
    path("sessions/<int:pk>/", session_detail, name="session"),
]
