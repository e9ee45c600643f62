"""EMIS Web bulk extract (the CSV tables data services receive) -> the canonical tables.

The column-level layout is EMIS extract v5.4 as Endeavour Health's open-source transformer reads it
(``endeavourhealth/Transforms``); no public file specification exists, so docs/importers.md says which parts
were checked against that schema and which are inferred. What maps:

* ``Admin_Organisation``: OrganisationGuid -> ODSCode = practice_id (and OrganisationName for ``practices``);
* ``Admin_Patient``: one record per person **per practice** -> ``patients`` (DateOfBirth to the first of
  the month, Sex M/F/I/U) and one ``practice_registrations`` row per regular (GMS) record
  (PatientTypeDescription ``Regular``; DateOfRegistration to DateOfDeactivation). Records with DummyType or Deleted true are skipped; records that share an NHS
  number are one person (one patient_id);
* ``CareRecord_Observation`` + ``Coding_ClinicalCode``: CodeId -> SnomedCTConceptId, EffectiveDate, Value
  -> ``clinical_events``; year-only dates (EffectiveDatePrecision Y) are kept and counted in a note;
* ``Prescribing_IssueRecord`` + ``Coding_DrugCode``: CodeId -> DmdProductCodeId -> ``medications``;
* ``Appointment_Slot`` + ``Appointment_Session`` (+ ``Appointment_SessionUser``): one appointment per slot
  with a patient. Status: DidNotAttend true -> did_not_attend, LeftTime or SendInTime -> attended, else
  booked; a slot without a patient is free (EMIS frees the slot when an appointment is cancelled, so
  cancellations are not in the extract). There is no booking date: booked_date is left empty, so waits
  are unavailable rather than zero. Mode comes from the practice's mapping of session categories
  (``--session-modes FILE``), else ``unknown``; clinician_id is the session's one user (UserInRoleGuid).

Only the columns above are read (names, addresses, telephone numbers and e-mail addresses never are).
Files are found by their ``<Schema>_<Table>`` part, whatever processing id, timestamp and sharing
agreement the name carries.
"""

from __future__ import annotations

from qiloop.records.from_emis.convert import convert_emis
from qiloop.records.from_emis.layout import HEADER_SIGNATURES, SCHEMA

__all__ = ["HEADER_SIGNATURES", "SCHEMA", "convert_emis"]
