from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomehelpConfig(AppConfig):
    name = "homehelp"
    verbose_name = _("Home Help Services")
