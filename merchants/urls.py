from django.urls import path

from merchants import member_views as views

app_name = "members"

urlpatterns = [
    path("", views.members_page, name="list"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="revoke"),
    path("<int:pk>/role/", views.member_role, name="role"),
    path("<int:pk>/remove/", views.member_remove, name="remove"),
    path("<int:pk>/transfer/", views.transfer_ownership, name="transfer"),
]
