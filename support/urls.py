from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("merchants/<int:merchant_id>/", views.merchant_page, name="merchant"),
]
