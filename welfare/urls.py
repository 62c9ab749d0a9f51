from django.contrib import admin
from django.urls import include, path

from reports import publication
from welfare import sign_in, views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("guide/", views.guide, name="guide"),
    path("health/", views.health, name="health"),
    path("stats/", publication.stats, name="stats"),
    path("stats/editions/", publication.open_data_list, name="stats-editions"),
    path("stats/editions/<int:pk>/", publication.public_edition, name="stats-edition"),
    path(
        "stats/editions/<int:pk>.csv",
        publication.open_data_file,
        {"kind": "csv"},
        name="stats-edition-csv",
    ),
    path(
        "stats/editions/<int:pk>.json",
        publication.open_data_file,
        {"kind": "json"},
        name="stats-edition-json",
    ),
    path("search/", views.search, name="search"),
    path("suggest/offices/", views.suggest_offices, name="suggest-offices"),
    path("suggest/districts/", views.suggest_districts, name="suggest-districts"),
    path("suggest/constituencies/", views.suggest_constituencies, name="suggest-constituencies"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person-delete"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person-reveal"),
    path("people/<int:pk>/take-over/", views.person_take_over, name="person-take-over"),
    path("projects/", include("programs.urls")),
    path("homehelp/", include("homehelp.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/login/", views.sign_in, name="login"),
    path("accounts/second-factor/", sign_in.second_factor, name="second-factor"),
    path(
        "accounts/second-factor/new-app/",
        sign_in.second_factor_replace,
        name="second-factor-replace",
    ),
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("language/", views.language_switch, name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "welfare.views.bad_request"
handler500 = "welfare.views.server_error"
