"""A person who signs in, and the failed sign-ins that slow down further attempts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person. They sign in with their e-mail address (stored, lower-cased, as the username too)."""

    # The username is the e-mail address, so it must hold any address an EmailField accepts.
    username = models.CharField("username", max_length=254, unique=True)
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    objects = UserManager()

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class SignInFailure(models.Model):
    """One failed sign-in for an e-mail address from an address (kept only to decide how long the next attempt
    waits; the audit log keeps the history)."""

    username = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M:%S}"
