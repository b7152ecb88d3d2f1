from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from front import views as front
from merchants import member_views, twostep_views
from merchants import views as merchants
from merchants.tenancy import public_view

urlpatterns = [
    path("", front.home, name="home"),
    path("signup/", merchants.signup, name="signup"),
    path(
        "accounts/confirm/<str:uidb64>/<str:token>/",
        merchants.confirm_email,
        name="confirm-email",
    ),
    path("accounts/login/code/", twostep_views.code, name="two-step-code"),
    path("accounts/two-step/", twostep_views.settings_page, name="two-step"),
    path("accounts/two-step/sms/", twostep_views.sms_setup, name="two-step-sms"),
    path("accounts/confirm/resend/", merchants.resend_confirmation, name="resend-confirmation"),
    path("merchants/switch/", merchants.switch, name="switch-merchant"),
    path("healthz", front.healthz, name="healthz"),
    path("favicon.ico", front.favicon, name="favicon"),
    path("accounts/login/", public_view(merchants.SignInView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        public_view(merchants.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("support/", include("support.urls")),
    path("settings/", front.settings_home, name="settings"),
    path("settings/delete-store/", front.delete_store, name="delete-store"),
    path("settings/members/", include("merchants.urls")),
    path("invitations/<str:token>/", member_views.accept_invitation, name="accept-invitation"),
    path("settings/locations/", include("locations.urls")),
    path("settings/carriers/", include("carriers.urls")),
    path("funds/", include("funding.urls")),
    path("", include("orders.urls")),
    path("", include("shipments.urls")),
    path("", include("endofday.urls")),
    path("", include("tracking.urls")),
]

if settings.STAMPS_SANDBOX:
    urlpatterns.insert(0, path("sandbox/stamps/", include("carriers.stamps.sandbox.urls")))
