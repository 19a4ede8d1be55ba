from django.urls import URLPattern, URLResolver, path

from ketaclinic.treatment import views

app_name = "treatment"

urlpatterns: list[URLPattern | URLResolver] = [
    path("board/", views.board, name="board"),
    path("board/rows/", views.board_rows, name="board_rows"),
    path("protocols/", views.protocol_list, name="protocols"),
    path("protocols/copy/", views.protocol_copy, name="protocol_copy"),
    path("protocols/new/", views.protocol_create, name="protocol_create"),
    path("protocols/<int:protocol_id>/", views.protocol_detail, name="protocol"),
    path(
        "protocols/<int:protocol_id>/new-version/",
        views.protocol_version_new,
        name="protocol_version_new",
    ),
    path("patients/<uuid:pk>/enrol/", views.course_enrol, name="enrol"),
    path("courses/<int:course_id>/", views.course_detail, name="course"),
    path("closures/", views.closures, name="closures"),
    path("closures/<int:closure_id>/cancel/", views.closure_cancel, name="closure_cancel"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/move/", views.session_move, name="session_move"),
    path("sessions/<int:session_id>/miss/", views.session_miss, name="session_miss"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/reinstate/", views.session_reinstate, name="session_reinstate"),
    path("sessions/<int:session_id>/check-in/", views.session_check_in, name="check_in"),
    path("sessions/<int:session_id>/checklist/", views.checklist, name="checklist"),
    path(
        "sessions/<int:session_id>/checklist/again/",
        views.checklist_again,
        name="checklist_again",
    ),
    path("sessions/<int:session_id>/decision/", views.decision, name="decision"),
    path("sessions/<int:session_id>/dose/", views.dose, name="dose"),
    path("sessions/<int:session_id>/observation/", views.observation, name="observation"),
    path("sessions/<int:session_id>/adverse-event/", views.adverse_event, name="adverse_event"),
    path("sessions/<int:session_id>/discharge/", views.discharge, name="discharge"),
    path("sessions/<int:session_id>/rems/", views.rems_fill, name="rems_fill"),
    path("sessions/<int:session_id>/sign/", views.sign, name="sign"),
    path("sessions/<int:session_id>/amend/", views.amend, name="amend"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("rems/", views.rems_dashboard, name="rems"),
    path("rems/<int:form_id>/", views.rems_form, name="rems_form"),
    path("rems/<int:form_id>/json/", views.rems_form_json, name="rems_form_json"),
    path("rems/<int:form_id>/submitted/", views.rems_submitted, name="rems_submitted"),
]
