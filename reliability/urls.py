"""Reliability pages; chargenet.urls includes them under /reliability/."""

from django.urls import path, re_path

from reliability import views

app_name = "reliability"

urlpatterns = [
    path("", views.overview, name="uptime"),
    re_path(r"^stations/(?P<station_id>[^/]+)/$", views.station_detail, name="uptime-station"),
    path("alarms/", views.alarms, name="alarms"),
    path("exclusions/", views.exclusions, name="exclusions"),
    path("reports/", views.reports, name="uptime-reports"),
    path("reports/<int:pk>/status/", views.report_status, name="uptime-report-status"),
    path("reports/<int:pk>/<str:fmt>/", views.report_download, name="uptime-report-download"),
]
