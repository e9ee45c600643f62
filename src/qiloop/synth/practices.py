"""The network's layout: practices, list sizes, PCNs, one ICB, and how good each practice is.

Each practice gets its own quality (review completion, monitoring, DNA
tendency, continuity) drawn around the national figures, so funnel plots
and SPC charts have real between-practice variation to show. A few
practices are given planted changes over time (see :class:`PlantedChange`)
which ``truth.json`` records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np

from qiloop.months import shift_month
from qiloop.synth import params
from qiloop.synth.sampling import expit, logit

ICB_ID = "QSY"
ICB_NAME = "Synthetic Integrated Care Board"

_PLACE_NAMES = (
    "Abbey", "Ashfield", "Beech", "Bridge", "Brook", "Castle", "Cedar", "Church", "Clifton", "Crown",
    "Dale", "Elm", "Fairfield", "Forest", "Grange", "Green", "Harbour", "Heath", "Highfield", "Hill",
    "Kings", "Lake", "Laurel", "Lime", "Manor", "Market", "Meadow", "Mill", "Moor", "Oak",
    "Orchard", "Park", "Priory", "Queens", "River", "Rose", "Station", "Thorn", "Valley", "Vale",
    "Victoria", "Water", "Well", "West", "Willow", "Wood",
)  # fmt: skip
_PRACTICE_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")


@dataclass(frozen=True)
class PlantedChange:
    """A deliberate change in one practice from a given month, for SPC and funnel tests to find."""

    practice_id: str
    what: str
    from_month: dt.date
    before: float
    after: float
    description: str

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["from_month"] = self.from_month.isoformat()
        return out


@dataclass
class PracticeSpec:
    """One practice: identity, list size at the start date, population shape and quality."""

    index: int
    practice_id: str
    name: str
    pcn_id: str
    pcn_name: str
    list_size: int
    imd_quintile: int
    age_tilt: float
    ethnicity_mix: np.ndarray
    ethnicity_null: float
    rates: dict[str, float] = field(default_factory=dict)
    appointment_factor: float = 1.0
    dna_factor: float = 1.0
    continuity: float = 0.55  # chance a GP appointment is with the patient's usual GP (an average patient, start date)
    gps: int = 2  # GP headcount: sized from the practice's nominal (unscaled) list, see build_practices
    same_day_model: bool = False  # a "same-day care" practice (Scuffell et al. 2025) rather than "routine care"
    same_day_share: float = params.LEAD_TIME_BANDS[0][2]  # share of appointments booked for the same day
    face_to_face_share: float = params.MODE_SHARES["face_to_face"]
    bp_offset: float = 0.0  # mmHg added to the systolic mean of people with hypertension
    hba1c_log_offset: float = 0.0
    prevalence_factors: dict[str, float] = field(default_factory=dict)  # by condition, from the IMD quintile
    nsaid_factor: float = 1.0
    monitoring_factor: float = 1.0
    changes: list[PlantedChange] = field(default_factory=list)

    def change(self, what: str) -> PlantedChange | None:
        for c in self.changes:
            if c.what == what:
                return c
        return None

    def as_json(self) -> dict[str, object]:
        return {
            "practice_id": self.practice_id,
            "pcn_id": self.pcn_id,
            "list_size_at_start": self.list_size,
            "imd_quintile": self.imd_quintile,
            "rates": {k: round(v, 4) for k, v in self.rates.items()},
            "appointment_factor": round(self.appointment_factor, 4),
            "dna_factor": round(self.dna_factor, 4),
            "continuity": round(self.continuity, 4),
            "gps": self.gps,
            "access_model": "same_day" if self.same_day_model else "routine",
            "same_day_share": round(self.same_day_share, 4),
            "face_to_face_share": round(self.face_to_face_share, 4),
            "bp_offset_mmhg": round(self.bp_offset, 2),
            "hba1c_log_offset": round(self.hba1c_log_offset, 4),
            "prevalence_factors": {k: round(v, 4) for k, v in self.prevalence_factors.items()},
            "nsaid_factor": round(self.nsaid_factor, 4),
            "monitoring_factor": round(self.monitoring_factor, 4),
        }


def nominal_list_sizes(rng: np.random.Generator, practices: int) -> np.ndarray:
    """List sizes drawn from England's band mix, before scaling to the requested number of patients."""
    bands = params.LIST_SIZE_BANDS
    shares = np.array([b[2] for b in bands])
    band = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(practices), side="right")
    band = np.minimum(band, len(bands) - 1)
    lower = np.array([b[0] for b in bands], dtype=float)[band]
    upper = np.array([b[1] for b in bands], dtype=float)[band]
    return lower + rng.random(practices) * (upper - lower)


def scale_list_sizes(raw: np.ndarray, patients: int) -> np.ndarray:
    """``raw`` sizes scaled so they add up to ``patients`` exactly (largest remainders get the odd patients)."""
    scaled = raw * patients / raw.sum()
    sizes = np.floor(scaled).astype(np.int64)
    shortfall = patients - int(sizes.sum())
    order = np.argsort(-(scaled - sizes), kind="stable")  # largest remainders first
    sizes[order[:shortfall]] += 1
    return sizes


def list_sizes(rng: np.random.Generator, practices: int, patients: int) -> np.ndarray:
    """List sizes with England's band mix, scaled so they add up to ``patients`` exactly."""
    return scale_list_sizes(nominal_list_sizes(rng, practices), patients)


def gp_headcount(nominal_list_size: float) -> int:
    """GPs a practice of this (unscaled) size has: one per ``PATIENTS_PER_GP``, at least ``MIN_GPS``.

    Staffing follows the size the practice would have in England, not its scaled-down size in a small
    demonstration network: a 40,000-patient network of 20 practices has lists of about 2,000, and one GP
    each would make every patient's continuity 100%.
    """
    return max(params.MIN_GPS, round(nominal_list_size / params.PATIENTS_PER_GP))


def _practice_rate(rng: np.random.Generator, national: float) -> float:
    return float(expit(logit(national) + rng.normal(0.0, params.PRACTICE_QUALITY_SD)))


def build_practices(rng: np.random.Generator, practices: int, patients: int) -> list[PracticeSpec]:
    nominal = nominal_list_sizes(rng, practices)
    sizes = scale_list_sizes(nominal, patients)
    # Drawn from a child stream so that adding these left every other practice attribute as it was.
    style_rng = rng.spawn(1)[0]
    specs: list[PracticeSpec] = []
    pcn_number, pcn_total = 1, 0
    for i in range(practices):
        if pcn_total >= params.PCN_TARGET_SIZE:
            pcn_number, pcn_total = pcn_number + 1, 0
        pcn_total += int(sizes[i])
        practice_id = f"Q{10001 + i}"
        place = _PLACE_NAMES[i % len(_PLACE_NAMES)]
        kind = _PRACTICE_KINDS[(i // len(_PLACE_NAMES)) % len(_PRACTICE_KINDS)]
        mix = rng.dirichlet(params.ETHNICITY_SHARES * 25.0)
        spec = PracticeSpec(
            index=i,
            practice_id=practice_id,
            name=f"{place} {kind}" + ("" if i < len(_PLACE_NAMES) * len(_PRACTICE_KINDS) else f" {i}"),
            pcn_id=f"{ICB_ID}PCN{pcn_number:03d}",
            pcn_name=f"Synthetic PCN {pcn_number}",
            list_size=int(sizes[i]),
            imd_quintile=int(rng.integers(1, 6)),
            age_tilt=float(rng.normal(0.0, 0.15)),
            ethnicity_mix=mix,
            ethnicity_null=float(rng.beta(2.0, 2.0 / params.ETHNICITY_NULL_MEAN - 2.0)),
            rates={name: _practice_rate(rng, value) for name, value in params.REVIEW_RATES.items()},
            appointment_factor=float(np.exp(rng.normal(0.0, 0.12))),
            dna_factor=float(np.exp(rng.normal(0.0, 0.3))),
            continuity=float(
                np.clip(rng.normal(params.CONTINUITY_MEAN, params.CONTINUITY_SD), *params.CONTINUITY_RANGE)
            ),
            gps=gp_headcount(float(nominal[i])),
            nsaid_factor=float(np.exp(rng.normal(0.0, 0.35))),
            monitoring_factor=float(np.exp(rng.normal(0.0, 0.3))),
        )
        specs.append(spec)
    _centre_factors(specs)
    _access_styles(style_rng, specs)
    for spec in specs:
        spec.bp_offset = float(style_rng.normal(0.0, params.PRACTICE_BP_OFFSET_SD))
        spec.hba1c_log_offset = float(style_rng.normal(0.0, params.PRACTICE_HBA1C_LOG_SD))
    _prevalence_factors(specs)
    return specs


def _prevalence_factors(specs: list[PracticeSpec]) -> None:
    """Deprivation multipliers per condition from each practice's IMD quintile, list-weighted mean 1."""
    weights = np.array([s.list_size for s in specs], dtype=float)
    for condition, by_quintile in params.PREVALENCE_BY_IMD_QUINTILE.items():
        raw = np.array([by_quintile[s.imd_quintile - 1] for s in specs])
        raw = raw / (np.sum(raw * weights) / weights.sum())
        for spec, value in zip(specs, raw, strict=True):
            spec.prevalence_factors[condition] = float(value)


def _access_styles(rng: np.random.Generator, specs: list[PracticeSpec]) -> None:
    """Each practice's same-day and face-to-face shares: a third run "same-day care", the rest "routine care".

    Drawn on the logit scale around the national shares, then shifted so that the list-weighted network
    mean equals the national share exactly (a small network still matches GPAD's national mix).
    """
    same_day_model = rng.random(len(specs)) < params.SAME_DAY_MODEL_SHARE
    same_day = np.where(same_day_model, *params.SAME_DAY_LOGIT_BY_MODEL) + rng.normal(
        0.0, params.SAME_DAY_LOGIT_SD, len(specs)
    )
    f2f = np.where(same_day_model, *params.FACE_TO_FACE_LOGIT_BY_MODEL) + rng.normal(
        0.0, params.FACE_TO_FACE_LOGIT_SD, len(specs)
    )
    weights = np.array([s.list_size for s in specs], dtype=float)
    same_day_share = _centred_shares(same_day, weights, params.LEAD_TIME_BANDS[0][2])
    f2f_share = _centred_shares(f2f, weights, params.MODE_SHARES["face_to_face"])
    for k, spec in enumerate(specs):
        spec.same_day_model = bool(same_day_model[k])
        spec.same_day_share = float(same_day_share[k])
        spec.face_to_face_share = float(f2f_share[k])


def _centred_shares(offsets: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """``expit(c + offsets)`` with ``c`` chosen (by bisection) so the weighted mean share is ``target``."""
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        mean = float(np.sum(expit(mid + offsets) * weights) / weights.sum())
        low, high = (mid, high) if mean < target else (low, mid)
    return np.asarray(expit((low + high) / 2 + offsets))


def _centre_factors(specs: list[PracticeSpec]) -> None:
    """Scale the appointment and DNA factors to a list-weighted mean of 1, so the network hits the national rates."""
    weights = np.array([s.list_size for s in specs], dtype=float)
    for attribute in ("appointment_factor", "dna_factor"):
        values = np.array([getattr(s, attribute) for s in specs])
        mean = float(np.sum(values * weights) / weights.sum())
        for spec, value in zip(specs, values, strict=True):
            setattr(spec, attribute, float(value / mean))


def plant_changes(rng: np.random.Generator, specs: list[PracticeSpec], start: dt.date, end: dt.date) -> None:
    """Give three of the larger practices (fewer in a tiny network) a change from a given month."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    # Larger practices, so the changes stand out from chance in a modest network.
    by_size = sorted(specs, key=lambda s: (-s.list_size, s.index))
    candidates = by_size[: max(3, len(specs) // 2)]
    order = rng.permutation(len(candidates))
    chosen = [candidates[int(order[k % len(candidates)])] for k in range(3)]

    def month_at(fraction: float) -> dt.date:
        return shift_month(start, max(1, min(months - 1, int(round(months * fraction)))))

    copd = chosen[0]
    copd.rates["copd_review"] = 0.45
    copd.changes.append(
        PlantedChange(
            copd.practice_id,
            "copd_review_rate",
            month_at(0.5),
            0.45,
            0.9,
            "annual COPD review completion rises from 45% to 90% (a recall system is introduced)",
        )
    )
    dna = chosen[1]
    dna.changes.append(
        PlantedChange(
            dna.practice_id,
            "dna_rate_multiplier",
            month_at(0.6),
            1.0,
            2.0,
            "did-not-attend rate drifts up linearly from this month, reaching twice its level at the end date",
        )
    )
    nsaid = chosen[2]
    nsaid.changes.append(
        PlantedChange(
            nsaid.practice_id,
            "nsaid_without_gastroprotection_multiplier",
            month_at(0.4),
            1.0,
            0.3,
            "NSAID prescribing without gastro-protection falls to 30% of its level (pharmacist-led intervention)",
        )
    )
