import pytest

from accounts.usernames import imitated, skeletons


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("alice", "Alice"),
        ("alice", "ALICE"),
        ("alice", "\u0430lice"),  # Cyrillic a
        ("alice", "a1ice"),
        ("Alice", "AIice"),  # digit one, capital i
        ("alice", "ａｌｉｃｅ"),  # full width (NFKC)
        ("bob", "b0b"),
        ("paypal", "p\u0430yp\u0430l"),
    ],
)
def test_lookalikes_share_a_skeleton(name, other):
    assert skeletons(name) & skeletons(other)


@pytest.mark.parametrize(("name", "other"), [("alice", "alicia"), ("ben", "bem"), ("anna", "hanna")])
def test_different_names_do_not(name, other):
    assert not skeletons(name) & skeletons(other)


@pytest.mark.django_db
def test_imitated_names_the_existing_user(django_user_model):
    django_user_model.objects.create_user("alice")
    assert imitated("\u0430lice") == "alice"
    assert imitated("carol") is None
