from django.urls import path

from orders import views

urlpatterns = [
    path("orders/", views.order_list, name="order-list"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
]
