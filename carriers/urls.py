from django.urls import path

from carriers import views

app_name = "carriers"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("stamps/connect/", views.connect, name="connect"),
    path("stamps/connect/existing/", views.connect_existing, name="connect-existing"),
    path("stamps/connect/new/", views.connect_new, name="connect-new"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/password/", views.update_password, name="update-password"),
    path("<int:pk>/stamps-settings/", views.settings_popup, name="settings-popup"),
    path("<int:pk>/open/<str:url_type>/", views.open_carrier_page, name="open-carrier-page"),
    path("<int:pk>/default/", views.make_default, name="make-default"),
    path("<int:pk>/disconnect/", views.disconnect, name="disconnect"),
]
