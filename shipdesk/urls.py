from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from shipdesk import views
from shipdesk.tenancy import public_view

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("merchants/switch/", views.switch, name="switch-merchant"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", public_view(views.SignInView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        public_view(views.PasswordResetView.as_view()),
        name="password_reset",
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
]

if settings.STAMPS_SANDBOX:
    urlpatterns.insert(0, path("sandbox/stamps/", include("carriers.stamps.sandbox.urls")))
