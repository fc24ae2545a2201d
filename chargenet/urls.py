from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from stations.views.uploads import diagnostics_upload

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, next_page="dashboard:overview"
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Stations upload diagnostics here; the token in the URL is the credential.
    path("uploads/diagnostics/<str:token>/", diagnostics_upload, name="diagnostics-upload"),
    path("uploads/diagnostics/<str:token>/<str:filename>", diagnostics_upload),
    path("billing/", include("billing.urls")),
    path("ocpi/", include("ocpi.urls")),
    path("roaming/", include("ocpi.page_urls")),
    path("reliability/", include("reliability.urls")),
    path("", include("drivers.urls")),
    path("", include("stations.urls")),
]

# A database or Redis outage outside a view answers 503 with Retry-After, not a 500.
handler500 = "runtime.outages.server_error"
