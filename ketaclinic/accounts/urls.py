from django.urls import path

from ketaclinic.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("clinic/switch/", views.switch_clinic, name="switch_clinic"),
    # Each user's own account.
    path("me/", views.my_account, name="me"),
    path("password/", views.password_change, name="password_change"),
    path("me/sign-out-everywhere/", views.sessions_end, name="sessions_end"),
    # The clinic admin's pages.
    path("clinic/", views.clinic_settings, name="clinic_settings"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/add/", views.staff_add, name="staff_add"),
    path("staff/<int:membership_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:membership_id>/role/", views.staff_role, name="staff_role"),
    path("staff/<int:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:membership_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<int:membership_id>/second-factor/",
        views.staff_second_factor,
        name="staff_second_factor",
    ),
    path("staff/<int:membership_id>/password/", views.staff_password, name="staff_password"),
    path("staff/<int:membership_id>/unlock/", views.staff_unlock, name="staff_unlock"),
]
