from django.conf import settings


def signup(request):
    """signup_open: whether the "Sign up" links lead anywhere (CHAT_SIGNUP=open;
    with invitations people arrive by their link)."""
    return {
        "signup_open": settings.CHAT_SIGNUP == "open",
        "signup_policy": settings.CHAT_SIGNUP,
        "invitation_uses": settings.CHAT_INVITE_USES,
        "invitation_hours": settings.CHAT_INVITE_HOURS,
    }
