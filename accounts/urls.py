from django.contrib.auth import views as auth_views
from django.urls import path

from . import passwords, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("join/<str:token>/", views.join, name="join"),
    path("first-run/", views.first_run, name="first-run"),
    path("invitations/", views.create_invitation, name="create-invitation"),
    path("avatars/<id:pk>/<str:version>/", views.avatar, name="avatar"),
    # Django's names, so its views find each other.
    path("password/change/", passwords.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", passwords.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", passwords.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/", passwords.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("password/reset/complete/", passwords.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
