from django.urls import path

from shipments import batch_views, print_views, views

app_name = "shipments"

urlpatterns = [
    path("orders/<int:pk>/rates/", views.rates_panel, name="rates"),
    path("orders/<int:pk>/buy/", views.buy, name="buy"),
    path("orders/<int:pk>/ship-to/", views.ship_to, name="ship-to"),
    path("rates/", views.rate_calculator, name="calculator"),
    path("shipments/", views.shipment_list, name="list"),
    path("shipments/settings/", views.shipping_settings, name="settings"),
    path("shipments/print/", print_views.print_selected, name="print"),
    path("shipments/print-queue/", print_views.print_queue, name="queue"),
    path("shipments/packing-slips/", print_views.packing_slips, name="slips"),
    path("shipments/settings/mine/", print_views.my_printing, name="my-printing"),
    path("shipments/void/", views.void_selected, name="void-selected"),
    path("shipments/<int:pk>/", views.shipment_detail, name="detail"),
    path("shipments/<int:pk>/label/", print_views.shipment_label, name="label"),
    path("shipments/<int:pk>/void/", views.shipment_void, name="void"),
    path("shipments/batches/", batch_views.batch_list, name="batches"),
    path("shipments/batches/<int:pk>/", batch_views.batch_detail, name="batch"),
    path("shipments/batches/<int:pk>/progress/", batch_views.batch_progress, name="batch-progress"),
    path("shipments/batches/<int:pk>/resume/", batch_views.batch_resume, name="batch-resume"),
    path("shipments/batches/<int:pk>/retry/", batch_views.batch_retry, name="batch-retry"),
    path("shipments/batches/<int:pk>/labels/", print_views.batch_print, name="batch-pdf"),
]
