from django.urls import path

from . import views

app_name = "stamps_sandbox"

urlpatterns = [
    path("swsim.asmx", views.endpoint, name="endpoint"),
]
