"""Staff make invitations: from the room list, in the admin, with manage.py invite."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Invitation

pytestmark = pytest.mark.django_db


def test_staff_see_invite_people_on_the_room_list_and_others_do_not(client, staff, alice, lobby):
    client.force_login(alice)
    assert 'id="invite-people"' not in client.get("/").content.decode()
    assert client.post("/accounts/invitations/").status_code == 403
    assert not Invitation.objects.exists()
    client.force_login(staff)
    assert 'id="invite-people"' in client.get("/").content.decode()


def test_invite_people_makes_a_link_to_copy(client, staff, settings):
    settings.CHAT_INVITE_USES, settings.CHAT_INVITE_HOURS = 3, 48
    client.force_login(staff)
    response = client.post("/accounts/invitations/")
    invitation = Invitation.objects.get()
    assert invitation.created_by == staff and invitation.max_uses == 3
    assert abs(invitation.expires_at - (timezone.now() + timedelta(hours=48))) < timedelta(minutes=1)
    html = response.content.decode()
    assert f'value="http://testserver/accounts/join/{invitation.token}/"' in html
    assert 'id="copy-invite-link"' in html and 'type="module"' in html and "invitation-page" in html


def test_invite_people_needs_a_post_with_csrf(staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get("/accounts/invitations/").status_code == 405
    assert client.post("/accounts/invitations/").status_code == 403
    assert not Invitation.objects.exists()


def test_invitation_links_are_long_and_random(staff):
    tokens = {Invitation.objects.create_for(created_by=staff).token for _ in range(20)}
    assert len(tokens) == 20 and all(len(token) >= 32 for token in tokens)


def test_base_url_makes_links_absolute(settings, staff):
    invitation = Invitation.objects.create_for(created_by=staff)
    assert invitation.link() == f"/accounts/join/{invitation.token}/"
    settings.CHAT_BASE_URL = "https://chat.example.com"
    assert invitation.link() == f"https://chat.example.com/accounts/join/{invitation.token}/"


def test_manage_py_invite_prints_the_link_last(capsys, settings):
    call_command("invite", "--uses", "4", "--hours", "2")
    invitation = Invitation.objects.get()
    assert invitation.max_uses == 4 and invitation.created_by is None
    assert abs(invitation.expires_at - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)
    assert capsys.readouterr().out.splitlines()[-1] == f"/accounts/join/{invitation.token}/"
    settings.CHAT_BASE_URL = "https://chat.example.com"
    call_command("invite")
    newest = Invitation.objects.first()
    assert capsys.readouterr().out.splitlines()[-1] == f"https://chat.example.com/accounts/join/{newest.token}/"


@pytest.mark.parametrize("args", [["--uses", "0"], ["--hours", "0"]])
def test_manage_py_invite_refuses_nonsense(args):
    with pytest.raises(CommandError):
        call_command("invite", *args)
    assert not Invitation.objects.exists()


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw-root-123")
    client.force_login(root)
    client.user = root
    return client


def test_admin_makes_lists_filters_and_revokes_invitations(admin_client, staff):
    response = admin_client.post(
        "/admin/accounts/invitation/add/",
        {
            "max_uses": "5",
            "expires_at_0": (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d"),
            "expires_at_1": "12:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = Invitation.objects.get()
    assert made.created_by == admin_client.user and made.max_uses == 5
    old = Invitation.objects.create_for(created_by=staff)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    listing = admin_client.get("/admin/accounts/invitation/").content.decode()
    assert f'value="http://testserver/accounts/join/{made.token}/"' in listing
    assert "expired on" in listing
    usable = admin_client.get("/admin/accounts/invitation/?state=usable").content.decode()
    assert made.token in usable and old.token not in usable

    admin_client.post("/admin/accounts/invitation/", {"action": "revoke", "_selected_action": [made.pk]})
    made.refresh_from_db()
    assert made.revoked and made.refusal() == "This invitation has been withdrawn."


def test_admin_add_user_refuses_a_lookalike_name(admin_client, alice):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "\u0430lice",
            "usable_password": "true",
            "password1": "a-long-pass-9876",
            "password2": "a-long-pass-9876",
        },
    )
    assert response.status_code == 200
    assert "looks the same as an existing one" in response.content.decode()
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "carol",
            "usable_password": "true",
            "password1": "a-long-pass-9876",
            "password2": "a-long-pass-9876",
        },
    )
    assert response.status_code == 302


def test_admin_renaming_a_user_to_a_lookalike_is_refused(admin_client, alice, staff):
    page = admin_client.get(f"/admin/auth/user/{staff.pk}/change/")
    skip = {"groups", "user_permissions", "last_login"}
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None and k not in skip}
    data.update({"username": "ALICE", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    response = admin_client.post(f"/admin/auth/user/{staff.pk}/change/", data)
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    staff.refresh_from_db()
    assert staff.username == "staff"
    data["username"] = "staff"  # keeping one's own name is no imitation
    assert admin_client.post(f"/admin/auth/user/{staff.pk}/change/", data).status_code == 302
