from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from shipdesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("merchants/switch/", views.switch, name="switch-merchant"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("support/", include("shipdesk.support.urls")),
    path("settings/", views.settings_home, name="settings"),
    path("settings/locations/", include("orders.location_urls")),
    path("settings/carriers/", include("carriers.urls")),
    path("funds/", include("funding.urls")),
    path("", include("orders.urls")),
    path("", include("shipments.urls")),
    path("", include("endofday.urls")),
    path("", include("tracking.urls")),
]

if settings.STAMPS_SANDBOX:
    urlpatterns.insert(0, path("sandbox/stamps/", include("carriers.stamps.sandbox.urls")))
