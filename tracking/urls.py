from django.urls import path

from tracking import public, views

app_name = "tracking"

urlpatterns = [
    path("t/<str:token>/", public.tracking_page, name="public"),
    path("unsubscribe/<str:token>/", public.unsubscribe, name="unsubscribe"),
    path("r/<str:token>/label.pdf", public.return_label, name="return-label"),
    path("orders/<int:pk>/tracking/", views.order_panel, name="order-panel"),
    path("shipments/<int:pk>/tracking/", views.shipment_panel, name="shipment-panel"),
    path("shipments/<int:pk>/tracking/refresh/", views.refresh, name="refresh"),
    path("shipments/<int:pk>/return/", views.return_new, name="return-new"),
    path("shipments/<int:pk>/return/email/", views.return_email, name="return-email"),
    path("settings/tracking/", views.branding, name="branding"),
    path("settings/tracking/preview/", views.email_preview, name="preview"),
    path("settings/webhooks/", views.webhook_list, name="webhooks"),
    path("settings/webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("settings/webhooks/<int:pk>/toggle/", views.webhook_toggle, name="webhook-toggle"),
    path(
        "settings/webhooks/deliveries/<int:pk>/replay/",
        views.webhook_replay,
        name="webhook-replay",
    ),
]
