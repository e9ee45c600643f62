"""Every code the synthetic generator emits, in one place.

``CODES`` maps a concept name to a tuple of codes. Where a concept has more
than one code, the generator picks among them (the first is the most common).
SNOMED CT codes go into ``clinical_events.snomedct_code``; dm+d codes (VMPs)
into ``medications.dmd_code``.

Provenance: "fixture" = present in the published code lists under
``reference/ehr`` (PINCER or QOF refsets); "public" = a published code seen in
public sources but not in those fixtures (confirm against the current refset).
The project's code lists (``qiloop.codelists``) must contain every code here
in the right list; keep this module tidy and stable.
"""

from __future__ import annotations

CODES: dict[str, tuple[str, ...]] = {
    # ---- diagnoses (SNOMED CT) ----
    # Essential hypertension; hypertensive disorder (fixture: HYP_COD)
    "hypertension": ("59621000", "38341003"),
    # Hypertension resolved (fixture: HYPRES_COD)
    "hypertension_resolved": ("162659009",),
    # Type 2 diabetes; type 1 diabetes (fixture: DM_COD)
    "diabetes_type2": ("44054006",),
    "diabetes_type1": ("46635009",),
    # Diabetes resolved (fixture: DMRES_COD)
    "diabetes_resolved": ("315051004",),
    # COPD; mild / moderate / severe COPD (fixture: COPD_COD)
    "copd": ("13645005", "313296004", "313297008", "313299006"),
    # COPD resolved (fixture: COPDRES_COD)
    "copd_resolved": ("941201000000103",),
    # Asthma (fixture: AST_COD)
    "asthma": ("195967001",),
    # Asthma resolved (fixture: AST_RES / ASTRES_COD)
    "asthma_resolved": ("162660004",),
    # Atrial fibrillation (public)
    "atrial_fibrillation": ("49436004",),
    # Heart failure; congestive heart failure (fixture: pincer-hf)
    "heart_failure": ("84114007", "10633002"),
    # CKD stage 3 / 3A / 3B / 4 / 5 (public; QOF CKD_COD stages 3-5)
    "ckd_stage3": ("433144002", "700378005", "700379002"),
    "ckd_stage4": ("431857002",),
    "ckd_stage5": ("433146000",),
    # Peptic ulcer; gastric ulcer (fixture: pincer-pep)
    "peptic_ulcer": ("13200003", "397825006"),
    # ---- reviews and process codes (SNOMED CT) ----
    # COPD annual review (fixture: COPD review list)
    "copd_review": ("394703002",),
    # Asthma annual review (fixture: asthma annual review list)
    "asthma_review": ("394700004",),
    # MRC breathlessness grade 1, 2, 3, 4, 5 in that order (public)
    "mrc_grade": ("391120009", "391123006", "391124000", "391125004", "391126003"),
    # Acute exacerbation of COPD (fixture: COPD_COD)
    "copd_exacerbation": ("195951007",),
    # Number of COPD exacerbations in past year, the count as value (public: QOF COPDEXACB_COD; checked in
    # BHFDSC/CCU035_01 code/CCU035_01-D01-codelist.py and the HL7 Portugal pulmonary rehabilitation FHIR IG)
    "copd_exacerbation_count": ("723245007",),
    # COPD monitoring first letter; second letter; text message invitation (public: QOF COPDINVITE_COD;
    # checked in BHFDSC/CCU035_01 code/CCU035_01-D01-codelist.py; the last also in Accurx's COPD questionnaire)
    "copd_invite": ("716241000000106", "717021000000106", "1066281000000104"),
    # Post-bronchodilator FEV1/FVC ratio, value as a ratio 0-1 (public)
    "fev1_fvc_post_bronchodilator": ("407603001",),
    # Referral to pulmonary rehabilitation (public; [uncertain] confirm against PULRHBREF_COD)
    "pulmonary_rehab_referral": ("718361005",),
    # Moderate frailty; severe frailty (public: SNOMED CT UK, QOF MODFRAIL_COD / SEVFRAIL_COD; seen in several
    # public QOF and eFI implementations)
    "frailty": ("925831000000107", "925861000000102"),
    # CHA2DS2-VASc score, the score as value (public: SNOMED CT 735258002, assessment scale, active 2018-01-31)
    "chads2_vasc_score": ("735258002",),
    # Seasonal influenza vaccination (public); first inactivated seasonal flu vaccination (fixture: FLU_COD)
    "flu_vaccination": ("822851000000102", "985151000000100"),
    # ---- observations with numeric values (SNOMED CT) ----
    # Systolic arterial pressure, mmHg (fixture: BP_COD)
    "systolic_bp": ("72313002",),
    # Diastolic blood pressure, mmHg (fixture: BP_COD)
    "diastolic_bp": ("271650006",),
    # HbA1c (IFCC), mmol/mol (public: ehrQL example data)
    "hba1c": ("999791000000106",),
    # eGFR (creatinine, CKD-EPI), mL/min/1.73m2 (fixture: pincer-egfr)
    "egfr": ("1011481000000105",),
    # ---- monitoring blood tests (SNOMED CT; fixture: PINCER monitoring lists) ----
    # Full blood count (pincer-fbc)
    "full_blood_count": ("1022441000000101",),
    # Liver function tests (pincer-lft)
    "liver_function_test": ("997531000000108",),
    # Serum lithium level (pincer-lith_lev)
    "lithium_level": ("1006681000000100",),
    # Thyroid stimulating hormone level (pincer-tft)
    "thyroid_function_test": ("1027151000000105",),
    # Serum creatinine level (pincer-renal)
    "renal_function_test": ("1000731000000107",),
    # Urea and electrolytes level (pincer-electro)
    "electrolytes_test": ("1000971000000107",),
    # ---- medicines (dm+d VMPs) ----
    # Ibuprofen 400mg tablets; naproxen 500mg tablets (fixture: pincer-nsaid)
    "nsaid": ("329653008", "329807003"),
    # Omeprazole 20mg GR capsules; lansoprazole 30mg GR capsules (fixture: pincer-ppi)
    "ppi": ("317291008", "317309001"),
    # Warfarin 1mg tablets (fixture: pincer-anticoag)
    "warfarin": ("319733000",),
    # Apixaban 5mg tablets; rivaroxaban 20mg tablets (fixture: pincer-anticoag)
    "doac": ("703908001", "19842211000001107"),
    # Aspirin 75mg dispersible tablets (fixture: pincer-aspirin)
    "aspirin": ("319773006",),
    # Clopidogrel 75mg tablets (fixture: pincer-antiplat)
    "clopidogrel": ("319799004",),
    # Methotrexate 2.5mg tablets (fixture: pincer-met)
    "methotrexate": ("326874007",),
    # Lithium carbonate 400mg modified-release tablets (fixture: pincer-lith)
    "lithium": ("13177001000001108",),
    # Amiodarone 100mg tablets (fixture: pincer-amio)
    "amiodarone": ("318186003",),
    # Ramipril 5mg capsules; lisinopril 10mg tablets (fixture: pincer-acei)
    "ace_inhibitor": ("318902004", "318859000"),
    # Furosemide 40mg tablets (fixture: pincer-diur; a loop diuretic)
    "loop_diuretic": ("317972000",),
    # Propranolol 40mg tablets (fixture: pincer-nsbb; non-selective beta-blocker)
    "nonselective_beta_blocker": ("318353009",),
    # Metformin 500mg tablets (public: ehrQL tests)
    "metformin": ("325278007",),
    # Amlodipine 5mg tablets (public; [uncertain] confirm VMP id)
    "amlodipine": ("319283006",),
    # Atorvastatin 20mg tablets (public; [uncertain] confirm VMP id)
    "statin": ("320029008",),
    # Salbutamol 100micrograms/dose inhaler CFC free (public; [uncertain] confirm VMP id)
    "salbutamol_inhaler": ("320176004",),
}


def code(concept: str, index: int = 0) -> str:
    """One code of ``concept`` (the first by default)."""
    return CODES[concept][index]


def all_codes() -> list[str]:
    """Every distinct code the generator can emit, in a stable order."""
    seen: dict[str, None] = {}
    for codes in CODES.values():
        for c in codes:
            seen.setdefault(c, None)
    return list(seen)
