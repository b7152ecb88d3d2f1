from django.urls import path

from . import pages, views

app_name = "stamps_sandbox"

urlpatterns = [
    path("swsim.asmx", views.endpoint, name="endpoint"),
    path("labels/<uuid:stamps_tx_id>.pdf", pages.label, name="label"),
    path("scan-forms/<str:manifest_id>.pdf", pages.manifest, name="manifest"),
    path("pages/<slug:name>/", pages.page, name="page"),
]
