from django.contrib.auth.models import Group
from django.db.models import F

from welfare.models import Constituency, District, Office, Role, State


def test_reference_data_is_loaded(db):
    assert State.objects.count() == 16
    assert District.objects.count() == 160
    assert Constituency.objects.count() == 222
    assert Office.objects.count() == 160


def test_codes_run_without_gaps(db):
    assert sorted(State.objects.values_list("code", flat=True)) == [
        f"MY-{n:02d}" for n in range(1, 17)
    ]
    assert sorted(Constituency.objects.values_list("code", flat=True)) == [
        f"P.{n:03d}" for n in range(1, 223)
    ]


def test_every_office_covers_a_district_of_its_own_state(db):
    mismatched = Office.objects.exclude(districts__state=F("state"))
    assert not mismatched.exists()
    assert not Office.objects.filter(districts=None).exists()


def test_states_follow_the_published_order(db):
    names = list(State.objects.values_list("name_en", flat=True)[:4])
    assert names == ["Perlis", "Kedah", "Penang", "Perak"]


def test_constituencies_per_state_match_the_source(db):
    assert Constituency.objects.filter(state__code="MY-13").count() == 31  # Sarawak
    assert Constituency.objects.filter(state__code="MY-09").count() == 3  # Perlis


def test_roles_exist_with_their_permissions(db):
    district = Group.objects.get(name=Role.DISTRICT_OFFICER)
    assert district.permissions.filter(codename="change_person").exists()
    for read_only in [Role.STATE_OFFICER, Role.HQ]:
        group = Group.objects.get(name=read_only)
        assert group.permissions.filter(codename="view_person").exists()
        assert not group.permissions.filter(codename="change_person").exists()
