from django.urls import path

from reports import publication, views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects-by-state/", views.projects_by_state, name="projects-by-state"),
    path("projects-by-office/", views.projects_by_office, name="projects-by-office"),
    path("projects-by-district/", views.projects_by_district, name="projects-by-district"),
    path("home-help/", views.home_help, name="home-help"),
    path("home-help-by-office/", views.home_help_by_office, name="home-help-by-office"),
    path(
        "home-help-by-organisation/",
        views.home_help_by_organisation,
        name="home-help-by-organisation",
    ),
    path("constituencies/", views.constituencies, name="constituencies"),
    path("monthly/", views.monthly, name="monthly"),
    path("editions/", publication.editions_index, name="editions"),
    path("editions/publish/", publication.publish, name="publish"),
    path("editions/<int:pk>/", publication.edition, name="edition"),
    path("completeness/", publication.completeness, name="completeness"),
    path("completeness/confirm/", publication.confirm, name="confirm"),
]
