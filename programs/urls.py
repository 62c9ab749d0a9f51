from django.urls import path

from programs import views

app_name = "programs"
urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("new/", views.project_create, name="project-create"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/participants/add/", views.participant_add, name="participant-add"),
    path("<int:pk>/participants.csv", views.participants_csv, name="participants-csv"),
    path("<int:pk>/activities/add/", views.activity_add, name="activity-add"),
    path("participants/<int:pk>/edit/", views.participant_edit, name="participant-edit"),
    path("participants/<int:pk>/remove/", views.participant_remove, name="participant-remove"),
]
