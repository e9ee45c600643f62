from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms

NETWORK, PRACTICE = "network", "practice"
KINDS = [
    ("canonical", "qiloop's own tables (CSV or Parquet: practices, patients, practice_registrations, ...)"),
    ("ehrql", "ehrQL tables (OpenSAFELY layout: patients, practice_registrations, clinical_events, ...)"),
    ("fhir", "A FHIR R4 / UK Core bulk export (NDJSON files: Patient.ndjson, Condition.ndjson, ...)"),
    (
        "emis",
        "An EMIS Web bulk extract (one run's CSV files: ..._Admin_Patient_..., ..._CareRecord_Observation_..., ...)",
    ),
    ("systmone", "A SystmOne Strategic Reporting extract (a full extract: SRPatient.csv, SRCode.csv, ...)"),
    ("gpad", "NHS England GP appointments data (Practice_Level_Crosstab CSV files): the national comparator"),
]


def _size(count: int) -> str:
    """A byte count as people say it: "1.5 GB", "300 MB"."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(".0 ", " ")
    return f"{count} bytes"


class ImportForm(forms.Form):
    """An extract to import: an uploaded zip or a folder under the import root; at an ICB, whose extract it is."""

    extract = forms.FileField(
        label="Extract (a .zip file)",
        required=False,
        help_text="A zip of the extract's files: the canonical tables as CSV or Parquet files (practices, patients, "
        "practice_registrations, clinical_events, medications, appointments), or the files of the kind chosen below.",
    )
    kind = forms.ChoiceField(
        label="What kind of extract",
        choices=KINDS,
        initial="canonical",
        required=False,  # qiloop's own tables unless another kind is chosen
        widget=forms.RadioSelect,
        help_text="Anything other than qiloop's own tables is converted first; the conversion report (rows read, "
        "written and left out, and why) is shown with the data-quality report.",
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

    def __init__(
        self,
        *args: Any,
        import_root: Path,
        practice: str = "",
        jobs_dir: Path | None = None,
        max_upload_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.import_root = Path(import_root).resolve()
        self.jobs_dir = Path(jobs_dir).resolve() if jobs_dir is not None else None
        self.max_upload_bytes = max_upload_bytes
        self.practice = practice
        self.fields["folder"].help_text = (
            "The path of a folder of the extract's files, relative to the workbench's import folder "
            "(QILOOP_IMPORT_ROOT: ask your administrator where it is)."
        )
        if practice:  # at a practice, the extract can only be the practice's own
            del self.fields["scope"]

    def clean_extract(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["extract"]
        if upload and not str(upload.name).lower().endswith(".zip"):
            raise forms.ValidationError("The extract must be a .zip file")
        if upload and self.max_upload_bytes is not None and upload.size > self.max_upload_bytes:
            raise forms.ValidationError(
                f"The zip is {_size(upload.size)}, more than the {_size(self.max_upload_bytes)} the workbench "
                "accepts (QILOOP_MAX_UPLOAD_BYTES). Ask your administrator to import it from a folder on the server"
            )
        return upload

    def clean_folder(self) -> Path | None:
        text = self.cleaned_data["folder"]
        if not text:
            return None
        given = Path(text).expanduser()
        folder = (given if given.is_absolute() else self.import_root / given).resolve()
        if not folder.is_relative_to(self.import_root) or (
            self.jobs_dir is not None and folder.is_relative_to(self.jobs_dir)
        ):
            raise forms.ValidationError(
                f"The folder must be inside the import folder; {text} is not. Copy the extract "
                "there, or ask your administrator (QILOOP_IMPORT_ROOT)"
            )
        if not folder.is_dir():
            raise forms.ValidationError(f"There is no folder at {text} in the import folder: check the path")
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
    def chosen_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or "canonical")

    @property
    def chosen_scope(self) -> str:
        """NETWORK (the extract replaces the whole store) or PRACTICE (one practice's records)."""
        return PRACTICE if self.practice else str(self.cleaned_data.get("scope") or NETWORK)
