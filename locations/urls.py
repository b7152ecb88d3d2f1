from django.urls import path

from locations import views as locations

app_name = "locations"

urlpatterns = [
    path("", locations.location_list, name="list"),
    path("new/", locations.location_edit, name="new"),
    path("<int:pk>/", locations.location_edit, name="edit"),
    path("<int:pk>/default/", locations.location_make_default, name="make-default"),
    path("<int:pk>/delete/", locations.location_delete, name="delete"),
]
