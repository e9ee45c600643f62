from __future__ import annotations

from django import forms

from qiloop.records.pseudonym import MIN_KEY_BYTES

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a practice's patients file is a few MB; a plain list a few hundred KB


class HoldKeyForm(forms.Form):
    key = forms.CharField(
        label="The practice's pseudonymisation key",
        help_text=(
            "Paste the contents of the key file the practice's extract is imported with (qiloop import --key-file). "
            "It is stored encrypted and never shown again."
        ),
        strip=True,
        min_length=MIN_KEY_BYTES,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the practice's key",
            "min_length": f"That is too short to be the practice's key (a key has at least {MIN_KEY_BYTES} characters)",
        },
    )


class RemoveKeyForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, remove the practice's key from the workbench",
        error_messages={"required": "Tick the box to confirm that the key should be removed"},
    )


class NhsNumbersForm(forms.Form):
    numbers = forms.FileField(
        label="The practice's NHS numbers",
        help_text=(
            "A plain list with one NHS number per line (spaces or hyphens allowed, a header line is fine), "
            "or the practice's extract patients file (CSV or Parquet with an nhs_number column)."
        ),
        error_messages={"required": "Choose a file of the practice's NHS numbers"},
    )

    def clean_numbers(self) -> object:
        upload = self.cleaned_data["numbers"]
        if upload.size > MAX_UPLOAD_BYTES:
            upload.close()
            raise forms.ValidationError("The file is larger than 50 MB: give the practice's own list, not a network's")
        return upload
