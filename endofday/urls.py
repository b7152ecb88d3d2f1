from django.urls import path

from endofday import views

app_name = "endofday"

urlpatterns = [
    path("shipments/scan-forms/", views.scan_forms, name="scan-forms"),
    path("shipments/scan-forms/<int:pk>/", views.scan_form_detail, name="scan-form"),
    path("shipments/scan-forms/<int:pk>/form.pdf", views.scan_form_pdf, name="scan-form-pdf"),
    path("shipments/pickups/", views.pickups, name="pickups"),
    path("shipments/pickups/date-note/", views.pickup_date_note, name="pickup-date-note"),
    path("shipments/pickups/<int:pk>/", views.pickup_detail, name="pickup"),
    path("shipments/pickups/<int:pk>/cancel/", views.pickup_cancel, name="pickup-cancel"),
    path("shipments/end-of-day/", views.end_of_day_settings, name="settings"),
    path("shipments/end-of-day/<int:pk>/", views.location_settings, name="location-settings"),
]
