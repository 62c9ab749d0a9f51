from django.urls import path, re_path

from homehelp import views

app_name = "homehelp"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("organisations/", views.organization_list, name="organization-list"),
    path("organisations/suggest/", views.organization_suggest, name="organization-suggest"),
    path("organisations/new/", views.organization_create, name="organization-create"),
    path("organisations/<int:pk>/", views.organization_detail, name="organization-detail"),
    path("organisations/<int:pk>/edit/", views.organization_edit, name="organization-edit"),
    path("volunteers/", views.volunteer_list, name="volunteer-list"),
    path("volunteers/suggest/", views.volunteer_suggest, name="volunteer-suggest"),
    path("volunteers/new/", views.volunteer_create, name="volunteer-create"),
    path("volunteers/<int:pk>/", views.volunteer_detail, name="volunteer-detail"),
    path("volunteers/<int:pk>/edit/", views.volunteer_edit, name="volunteer-edit"),
    path("volunteers/<int:pk>/invite/", views.volunteer_invite, name="volunteer-invite"),
    path("join/<uidb64>/<token>/", views.join, name="join"),
    # The volunteer's phone page.
    path("my/", views.my_visits, name="my"),
    path("my/sw.js", views.my_service_worker, name="my-service-worker"),
    path("my/cases/<int:pk>/", views.my_case, name="my-case"),
    path("my/cases/<int:pk>/visits/", views.my_visit_create, name="my-visit-create"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("cases/<int:pk>/close/", views.case_close, name="case-close"),
    path("cases/<int:case_pk>/visits/new/", views.visit_create, name="visit-create"),
    path("cases/<int:case_pk>/referrals/new/", views.referral_create, name="referral-create"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral-edit"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/delete/", views.visit_delete, name="visit-delete"),
    path("visits/<int:pk>/resolve/", views.visit_resolve_concern, name="visit-resolve"),
    path("visits/held/<int:pk>/", views.held_visit, name="held-visit"),
    path(
        "organisations/<int:pk>/volunteers/import/",
        views.volunteer_import,
        name="volunteer-import",
    ),
    path("cases/import/", views.case_import, name="case-import"),
]

FORMAT = r"\.(?P<file_format>csv|xlsx)$"
urlpatterns += [
    re_path(
        rf"^organisations/export{FORMAT}", views.organization_export, name="organization-export"
    ),
    re_path(rf"^volunteers/export{FORMAT}", views.volunteer_export, name="volunteer-export"),
    re_path(rf"^cases/export{FORMAT}", views.case_export, name="case-export"),
    re_path(rf"^visits/export{FORMAT}", views.visit_export, name="visit-export"),
    re_path(
        rf"^volunteers/import-template{FORMAT}",
        views.volunteer_import_template,
        name="volunteer-import-template",
    ),
    re_path(
        rf"^cases/import-template{FORMAT}", views.case_import_template, name="case-import-template"
    ),
]
