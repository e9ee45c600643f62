from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms

NETWORK, PRACTICE = "network", "practice"


class ImportForm(forms.Form):
    """An extract to import: an uploaded zip or a folder under the import root; at an ICB, whose extract it is."""

    extract = forms.FileField(
        label="Extract (a .zip file)",
        required=False,
        help_text="A zip of the canonical tables as CSV or Parquet files: practices, patients, "
        "practice_registrations, clinical_events, medications, appointments.",
    )
    folder = forms.CharField(
        label="Or a folder on the server",
        required=False,
        max_length=1000,
        strip=True,
    )
    scope = forms.ChoiceField(
        label="What the extract holds",
        choices=[
            (NETWORK, "The whole network: it replaces every practice's records"),
            (PRACTICE, "One practice: it replaces that practice's records only (the practice in its practices table)"),
        ],
        initial=NETWORK,
        required=False,  # the whole network unless one practice is chosen
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, import_root: Path, practice: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.import_root = Path(import_root).resolve()
        self.practice = practice
        self.fields["folder"].help_text = (
            f"The full path of a folder of the extract's files, inside {self.import_root} "
            "(the workbench's import folder, QILOOP_IMPORT_ROOT), or a path relative to it."
        )
        if practice:  # at a practice, the extract can only be the practice's own
            del self.fields["scope"]

    def clean_extract(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["extract"]
        if upload and not str(upload.name).lower().endswith(".zip"):
            raise forms.ValidationError("The extract must be a .zip file")
        return upload

    def clean_folder(self) -> Path | None:
        text = self.cleaned_data["folder"]
        if not text:
            return None
        given = Path(text).expanduser()
        folder = (given if given.is_absolute() else self.import_root / given).resolve()
        if not folder.is_relative_to(self.import_root):
            raise forms.ValidationError(
                f"The folder must be inside the import folder {self.import_root}; {text} is not. "
                "Copy the extract there, or ask the administrator to set QILOOP_IMPORT_ROOT"
            )
        if not folder.is_dir():
            raise forms.ValidationError(f"There is no folder at {folder}: check the path")
        return folder

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        if not cleaned.get("extract") and not cleaned.get("folder"):
            self.add_error("extract", "Choose the zip file of the extract to import, or give a folder on the server")
        elif cleaned.get("extract") and cleaned.get("folder"):
            self.add_error("folder", "Give either a zip file or a folder, not both")
        return cleaned

    @property
    def chosen_scope(self) -> str:
        """NETWORK (the extract replaces the whole store) or PRACTICE (one practice's records)."""
        return PRACTICE if self.practice else str(self.cleaned_data.get("scope") or NETWORK)
