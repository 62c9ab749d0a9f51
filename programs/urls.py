from django.urls import path, re_path

from programs import views

app_name = "programs"
urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("new/", views.project_create, name="project-create"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/participants/add/", views.participant_add, name="participant-add"),
    path("<int:pk>/participants.csv", views.participants_csv, name="participants-csv"),
    path("<int:pk>/participants.xlsx", views.participants_xlsx, name="participants-xlsx"),
    path("<int:pk>/participants/import/", views.participant_import, name="participant-import"),
    re_path(
        r"^participants/import-template\.(?P<file_format>csv|xlsx)$",
        views.participant_import_template,
        name="participant-import-template",
    ),
    re_path(r"^export\.(?P<file_format>csv|xlsx)$", views.project_export, name="project-export"),
    path("<int:pk>/activities/add/", views.activity_add, name="activity-add"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity-delete"),
    path("participants/<int:pk>/edit/", views.participation_edit, name="participation-edit"),
    path("participants/<int:pk>/remove/", views.participation_remove, name="participation-remove"),
]
