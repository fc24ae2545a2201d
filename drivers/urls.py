"""Drivers' pages: /me/… and the QR landing pages /c/<station_id>/<connector>/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from drivers import accounts, operator_pages, profile, views

app_name = "drivers"

urlpatterns = [
    path("me/", views.home, name="home"),
    path("me/live.json", views.live_json, name="live"),
    path("me/sessions/<int:pk>/", views.session_detail, name="session"),
    path("me/sessions/<int:pk>/stop/", views.stop, name="stop"),
    path("me/history/", views.history, name="history"),
    path("me/cards/", views.cards, name="cards"),
    path("me/cards/<int:pk>/block/", views.card_block, name="card-block"),
    path("me/balance/", views.balance, name="balance"),
    path("me/profile/", views.driver_required(profile.profile_page), name="profile"),
    path("billing/cards/", operator_pages.card_requests, name="card-requests"),
    path(
        "billing/cards/<int:pk>/answer/",
        operator_pages.card_request_answer,
        name="card-request-answer",
    ),
    path("me/login/", accounts.login_view, name="login"),
    path("me/logout/", auth_views.LogoutView.as_view(next_page="drivers:login"), name="logout"),
    path("me/signup/", accounts.signup, name="signup"),
    path("me/confirm/<str:uidb64>/<str:token>/", accounts.confirm, name="confirm"),
    path("me/password-reset/", accounts.password_reset, name="password-reset"),
    path("me/password-reset/sent/", accounts.password_reset_done, name="password-reset-done"),
    path(
        "me/password-reset/<str:uidb64>/<str:token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path(
        "me/password-reset/done/",
        accounts.password_reset_complete,
        name="password-reset-complete",
    ),
    path("c/<str:station_id>/<int:connector_id>/", views.connector_page, name="connector"),
    path("c/<str:station_id>/<int:connector_id>/qr.svg", views.connector_qr, name="connector-qr"),
]
