from django import forms


class ImportForm(forms.Form):
    extract = forms.FileField(
        label="Extract (a .zip file)",
        help_text="A zip of the canonical tables as CSV or Parquet files: practices, patients, "
        "practice_registrations, clinical_events, medications, appointments.",
        error_messages={"required": "Choose the zip file of the extract to import"},
    )

    def clean_extract(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["extract"]
        if not str(upload.name).lower().endswith(".zip"):
            raise forms.ValidationError("The extract must be a .zip file")
        return upload
