from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from welfare.models import Office, Role, State, User

DEMO_PASSWORD = "demo-welfare-2026"


class Command(BaseCommand):
    help = "Load the demo users (and demo data). Safe to run more than once."

    @transaction.atomic
    def handle(self, *args, **options):
        selangor = State.objects.get(code="MY-10")
        users = [
            ("admin", "Aminah", None, None, None),
            ("hq", "Hafiz", Role.HQ, None, None),
            ("state.selangor", "Siti", Role.STATE_OFFICER, None, selangor),
            ("officer.petaling", "Rahim", Role.DISTRICT_OFFICER, "PKMD-1005", None),
            ("officer.kotabharu", "Nurul", Role.DISTRICT_OFFICER, "PKMD-0302", None),
        ]
        for username, first_name, role, office_code, state in users:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "office": Office.objects.get(code=office_code) if office_code else None,
                    "state": state,
                    "is_staff": role is None,
                    "is_superuser": role is None,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)] if role else [])
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, _, role, office_code, state in users:
            where = office_code or (state and state.name_en) or ""
            self.stdout.write(f"  {username:20} {role or 'Administrator'} {where}")
