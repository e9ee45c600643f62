from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.http import HttpRequest

from qiloop_web.accounts import actions
from qiloop_web.accounts.models import User
from qiloop_web.audit.log import client_ip

GENERIC_FAILURE = (
    "The e-mail address or password is not right. Check them, or reset your password if you have forgotten it."
)


EMAIL_ERRORS = {
    "required": "Enter your e-mail address",
    "invalid": "Enter an e-mail address in the right format, like name@example.nhs.uk",
}


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address", error_messages=EMAIL_ERRORS, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any):
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if not email or not password:
            return cleaned
        ip = client_ip(self.request)
        wait = actions.throttle(username=email, ip=ip)
        if wait.waiting:
            actions.record_throttled_attempt(username=email)
            raise forms.ValidationError(self.wait_message(wait), code="throttled")
        user = authenticate(self.request, username=actions.normalise_email(email), password=password)
        if user is None:
            wait = actions.record_failed_sign_in(username=email, ip=ip)
            if wait.waiting:
                raise forms.ValidationError(self.wait_message(wait), code="throttled")
            raise forms.ValidationError(GENERIC_FAILURE, code="invalid_login")
        self.user = user  # type: ignore[assignment]
        return cleaned

    @staticmethod
    def wait_message(wait: actions.Throttle) -> str:
        return (
            "There have been too many failed sign-in attempts. "
            f"Wait {wait.wait_text()} and try again, or reset your password."
        )


class NewPersonForm(forms.Form):
    """Used when accepting an invitation without an account."""

    full_name = forms.CharField(
        label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 12 characters. Avoid common words and your name.",
        error_messages={"required": "Create a password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        error_messages={"required": "Type the password again"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        validate_password(password, User(email=self.email, username=self.email))
        return password

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise forms.ValidationError("The two passwords do not match.", code="password_mismatch")
        return second


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages=EMAIL_ERRORS,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"
