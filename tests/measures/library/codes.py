"""Codes used by the spec tables, named for readability; test_codes.py checks each is in the list it stands for."""

from __future__ import annotations

# dm+d
IBUPROFEN = "329653008"  # pincer_nsaid
FLURBIPROFEN_EYE_DROPS = "766353007"  # in the published NSAID list, not in ours
IBUPROFEN_TOPICAL = "350322005"  # in the published NSAID list, not in ours (topical)
IBUPROFEN_PARENTERAL = "421839006"  # in the published NSAID list, not in ours (parenteral)
INDOMETACIN_PARENTERAL = "424385004"  # in the published NSAID list, not in ours (parenteral)
FLURBIPROFEN_OROMUCOSAL = "767786004"  # in the published NSAID list, not in ours (lozenges, throat spray)
NAPROXEN_RECTAL = "438461006"  # pincer_nsaid: rectal forms are kept (systemic)
OMEPRAZOLE = "317291008"  # pincer_ulcer_healing
WARFARIN = "319733000"  # anticoagulant
APIXABAN = "703908001"  # anticoagulant
ASPIRIN = "319773006"  # pincer_aspirin
CLOPIDOGREL = "319799004"  # pincer_non_aspirin_antiplatelet
PROPRANOLOL = "318353009"  # pincer_nsbb
METHOTREXATE = "326874007"  # pincer_methotrexate
LITHIUM = "13177001000001108"  # pincer_lithium
AMIODARONE = "318186003"  # pincer_amiodarone
RAMIPRIL = "318902004"  # pincer_acei
FUROSEMIDE = "317972000"  # loop_diuretic
SPIRONOLACTONE = "318056008"  # in the published "diur" list, not a loop diuretic

# SNOMED CT
PEPTIC_ULCER = "13200003"  # pincer_peptic_ulcer
GI_BLEED = "2066005"  # pincer_gi_bleed
ASTHMA = "195967001"  # pincer_asthma, asthma
ASTHMA_RESOLVED = "162660004"  # pincer_asthma_resolved, asthma_resolved
HEART_FAILURE = "84114007"  # pincer_heart_failure
EGFR = "1011481000000105"  # egfr
CREATININE = "1000731000000107"  # pincer_renal_function
U_AND_E = "1000971000000107"  # pincer_electrolytes
FBC = "1022441000000101"  # pincer_fbc
LFT = "997531000000108"  # pincer_lft
LITHIUM_LEVEL = "1006681000000100"  # pincer_lithium_level
TSH = "1027151000000105"  # pincer_tft

COPD = "13645005"  # copd
COPD_RESOLVED = "941201000000103"  # copd_resolved
COPD_REVIEW = "394703002"  # copd_review
MRC_2 = "391123006"  # mrc_grade
MRC_3 = "391124000"  # mrc_grade, mrc_grade_3_plus
MRC_4 = "391125004"
MRC_5 = "391126003"
FEV1_FVC = "407603001"  # fev1_fvc
PR_REFERRAL = "718361005"  # pulmonary_rehab_referral (placeholder code, see docs/codelists.md)
PR_ATTENDED = "229823004"  # pulmonary_rehab_attended
EXACERBATION_COUNT = "723245007"  # copd_exacerbation_count
COPD_INVITE_1 = "716241000000106"  # copd_invite (first letter)
COPD_INVITE_2 = "717021000000106"  # copd_invite (second letter)
COPD_UNSUITABLE = "716311000000100"  # copd_pca_unsuitable
COPD_DISSENT = "716291000000101"  # copd_pca_dissent
PR_UNSUITABLE = "371611000000107"  # pulmonary_rehab_unsuitable
FLU = "822851000000102"  # flu_vaccination (generic)
FLU_PHARMACY = "955691000000108"  # flu_vaccination

HYPERTENSION = "38341003"  # hypertension
HYPERTENSION_RESOLVED = "162659009"  # hypertension_resolved
SYSTOLIC = "72313002"  # bp_systolic
DIASTOLIC = "271650006"  # bp_diastolic
HOME_SYSTOLIC = "413606001"  # bp_systolic_home
HOME_DIASTOLIC = "413605002"  # bp_diastolic_home
HYP_UNSUITABLE = "716821000000100"  # hyp_pca_unsuitable
HYP_MAX_THERAPY = "407567007"  # hyp_max_therapy
HYP_INVITE_1 = "185719002"  # hyp_invite
HYP_INVITE_2 = "185720008"  # hyp_invite
BP_DECLINED = "413123006"  # bp_declined

DIABETES = "73211009"  # diabetes
TYPE_2_DIABETES = "44054006"  # diabetes
DIABETES_RESOLVED = "315051004"  # diabetes_resolved
HBA1C = "999791000000106"  # hba1c
DM_UNSUITABLE = "717421000000100"  # dm_pca_unsuitable
DM_MAX_THERAPY = "407569005"  # dm_max_therapy
DM_INVITE_1 = "185756006"  # dm_invite
DM_INVITE_2 = "185757002"  # dm_invite
MODERATE_FRAILTY = "925831000000107"  # frailty_moderate_severe

AF = "49436004"  # atrial_fibrillation
AF_RESOLVED = "196371000000102"  # atrial_fibrillation_resolved
STROKE = "230690007"  # stroke
TIA = "266257000"  # tia
ASTHMA_REVIEW = "394700004"  # asthma_review
CHADS_VASC = "735258002"  # chads2_vasc_score

IN_LIST = {
    IBUPROFEN: "pincer_nsaid", OMEPRAZOLE: "pincer_ulcer_healing", WARFARIN: "anticoagulant", APIXABAN: "anticoagulant",
    ASPIRIN: "pincer_aspirin", CLOPIDOGREL: "pincer_non_aspirin_antiplatelet", PROPRANOLOL: "pincer_nsbb",
    METHOTREXATE: "pincer_methotrexate", LITHIUM: "pincer_lithium", AMIODARONE: "pincer_amiodarone",
    RAMIPRIL: "pincer_acei", FUROSEMIDE: "loop_diuretic", PEPTIC_ULCER: "pincer_peptic_ulcer", GI_BLEED: "pincer_gi_bleed",
    ASTHMA: "pincer_asthma", ASTHMA_RESOLVED: "pincer_asthma_resolved", HEART_FAILURE: "pincer_heart_failure",
    EGFR: "egfr", CREATININE: "pincer_renal_function", U_AND_E: "pincer_electrolytes", FBC: "pincer_fbc",
    LFT: "pincer_lft", LITHIUM_LEVEL: "pincer_lithium_level", TSH: "pincer_tft", COPD: "copd",
    COPD_RESOLVED: "copd_resolved", COPD_REVIEW: "copd_review", MRC_2: "mrc_grade", MRC_3: "mrc_grade_3_plus",
    MRC_4: "mrc_grade_3_plus", MRC_5: "mrc_grade_3_plus", FEV1_FVC: "fev1_fvc", PR_REFERRAL: "pulmonary_rehab_referral",
    PR_ATTENDED: "pulmonary_rehab_attended", FLU: "flu_vaccination", FLU_PHARMACY: "flu_vaccination",
    HYPERTENSION: "hypertension", HYPERTENSION_RESOLVED: "hypertension_resolved", SYSTOLIC: "bp_systolic",
    DIASTOLIC: "bp_diastolic", HOME_SYSTOLIC: "bp_systolic_home", HOME_DIASTOLIC: "bp_diastolic_home",
    HYP_UNSUITABLE: "hyp_pca_unsuitable", HYP_MAX_THERAPY: "hyp_max_therapy", HYP_INVITE_1: "hyp_invite",
    HYP_INVITE_2: "hyp_invite", BP_DECLINED: "bp_declined", DIABETES: "diabetes", TYPE_2_DIABETES: "diabetes",
    DIABETES_RESOLVED: "diabetes_resolved", HBA1C: "hba1c", MODERATE_FRAILTY: "frailty_moderate_severe", AF: "atrial_fibrillation",
    AF_RESOLVED: "atrial_fibrillation_resolved", STROKE: "stroke", TIA: "tia", ASTHMA_REVIEW: "asthma_review",
    CHADS_VASC: "chads2_vasc_score", EXACERBATION_COUNT: "copd_exacerbation_count", COPD_INVITE_1: "copd_invite",
    COPD_INVITE_2: "copd_invite", COPD_UNSUITABLE: "copd_pca_unsuitable", COPD_DISSENT: "copd_pca_dissent",
    PR_UNSUITABLE: "pulmonary_rehab_unsuitable", NAPROXEN_RECTAL: "pincer_nsaid",
    DM_UNSUITABLE: "dm_pca_unsuitable", DM_MAX_THERAPY: "dm_max_therapy", DM_INVITE_1: "dm_invite", DM_INVITE_2: "dm_invite",
}  # fmt: skip
NOT_IN_LIST = {
    FLURBIPROFEN_EYE_DROPS: "pincer_nsaid",
    IBUPROFEN_TOPICAL: "pincer_nsaid",
    IBUPROFEN_PARENTERAL: "pincer_nsaid",
    INDOMETACIN_PARENTERAL: "pincer_nsaid",
    FLURBIPROFEN_OROMUCOSAL: "pincer_nsaid",
    SPIRONOLACTONE: "loop_diuretic",
    MRC_2: "mrc_grade_3_plus",
}
