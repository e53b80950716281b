"""Emails about unread mentions (SPEC 13)."""
