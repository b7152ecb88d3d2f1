from django.urls import path

from . import pages, views

app_name = "stamps_sandbox"

urlpatterns = [
    path("swsim.asmx", views.endpoint, name="endpoint"),
    path("images/<str:token>/<str:name>", pages.image, name="image"),
    path("scan-forms/<str:manifest_id>.pdf", pages.manifest, name="manifest"),
    path("pages/<slug:name>/", pages.page, name="page"),
]
