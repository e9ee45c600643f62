"""A conversion of a large extract takes minutes: ``qiloop import --from KIND`` shows a progress bar naming
each step of the conversion, then the import's."""

from __future__ import annotations

import pytest

from qiloop.bench.import_ import prepare
from qiloop.cli import main

STEPS = {
    "emis": ["convert emis: Admin_Patient", "convert emis: Prescribing_IssueRecord", "convert emis: Appointment_Slot"],
    "systmone": ["convert systmone: SRPatient", "convert systmone: SRCode", "convert systmone: SRAppointment"],
    "fhir": ["convert fhir: Patient", "convert fhir: MedicationRequest", "convert fhir: Appointment"],
}


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_the_conversion_shows_its_steps(kind, tmp_path, capsys, monkeypatch):
    _, layout, _ = prepare(kind, 300, 1, 1, tmp_path / "cache")
    monkeypatch.setenv("QILOOP_PROGRESS", "1")
    assert main(["import", "--from", kind, str(layout), "--store", str(tmp_path / "store.duckdb")]) == 0
    err = capsys.readouterr().err
    for step in STEPS[kind]:
        assert step in err, step
    assert err.index(STEPS[kind][-1]) < err.index("import appointments")  # the conversion's steps come first
    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    (tmp_path / "store.duckdb").unlink()
    assert main(["import", "--from", kind, str(layout), "--store", str(tmp_path / "store.duckdb")]) == 0
    assert "convert" not in capsys.readouterr().err  # silenced when asked
