from django.urls import path

from orders import api, automation_views, import_views, views

urlpatterns = [
    path("orders/", views.order_list, name="order-list"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/reapply-rules/", views.order_reapply_rules, name="order-reapply-rules"),
    path("orders/bulk/", views.order_bulk_edit, name="order-bulk"),
    path("orders/views/", views.saved_view_save, name="order-view-save"),
    path("orders/views/<int:pk>/delete/", views.saved_view_delete, name="order-view-delete"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/package/", views.order_package, name="order-package"),
    path("orders/<int:pk>/address/", views.order_address, name="order-address"),
    path("orders/import/", import_views.import_page, name="order-import"),
    path("orders/import/sample.csv", import_views.import_sample, name="order-import-sample"),
    path("orders/import/<int:pk>/", import_views.import_job, name="order-import-job"),
    path(
        "orders/import/<int:pk>/mapping/", import_views.import_mapping, name="order-import-mapping"
    ),
    path("settings/api-key/", import_views.api_key_settings, name="api-key-settings"),
    path("settings/api-key/rotate/", import_views.api_key_rotate, name="api-key-rotate"),
    path("api/v1/orders", api.orders_api, name="api-orders"),
    path("automation/", automation_views.rule_list, name="automation"),
    path("automation/new/", automation_views.rule_edit, name="automation-new"),
    path("automation/preview/", automation_views.rule_preview, name="automation-preview"),
    path("automation/<int:pk>/", automation_views.rule_edit, name="automation-edit"),
    path("automation/move/", automation_views.rule_move, name="automation-move"),
    path("automation/<int:pk>/delete/", automation_views.rule_delete, name="automation-delete"),
]
