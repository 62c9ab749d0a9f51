from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects-by-state/", views.projects_by_state, name="projects-by-state"),
    path("home-help/", views.home_help, name="home-help"),
]
