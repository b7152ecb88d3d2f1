from django.urls import path

from merchants import member_views as views

app_name = "members"

urlpatterns = [
    path("", views.members_page, name="list"),
    path("two-step/", views.require_two_step, name="require-two-step"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="revoke"),
    path("<int:pk>/role/", views.member_role, name="role"),
    path("<int:pk>/remove/", views.member_remove, name="remove"),
    path("<int:pk>/transfer/", views.transfer_ownership, name="transfer"),
]
