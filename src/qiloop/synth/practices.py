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

from qiloop.synth import params
from qiloop.synth.sampling import add_months, expit, logit

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
    continuity: float = 0.55
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
            "nsaid_factor": round(self.nsaid_factor, 4),
            "monitoring_factor": round(self.monitoring_factor, 4),
        }


def list_sizes(rng: np.random.Generator, practices: int, patients: int) -> np.ndarray:
    """List sizes with England's band mix, scaled so they add up to ``patients`` exactly."""
    bands = params.LIST_SIZE_BANDS
    shares = np.array([b[2] for b in bands])
    band = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(practices), side="right")
    band = np.minimum(band, len(bands) - 1)
    lower = np.array([b[0] for b in bands], dtype=float)[band]
    upper = np.array([b[1] for b in bands], dtype=float)[band]
    raw = lower + rng.random(practices) * (upper - lower)
    scaled = raw * patients / raw.sum()
    sizes = np.floor(scaled).astype(np.int64)
    shortfall = patients - int(sizes.sum())
    order = np.argsort(-(scaled - sizes), kind="stable")  # largest remainders first
    sizes[order[:shortfall]] += 1
    return sizes


def _practice_rate(rng: np.random.Generator, national: float) -> float:
    return float(expit(logit(national) + rng.normal(0.0, params.PRACTICE_QUALITY_SD)))


def build_practices(rng: np.random.Generator, practices: int, patients: int) -> list[PracticeSpec]:
    sizes = list_sizes(rng, practices, patients)
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
            continuity=float(np.clip(rng.normal(0.55, 0.12), 0.2, 0.9)),
            nsaid_factor=float(np.exp(rng.normal(0.0, 0.35))),
            monitoring_factor=float(np.exp(rng.normal(0.0, 0.3))),
        )
        specs.append(spec)
    _centre_factors(specs)
    return specs


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
        return add_months(start, max(1, min(months - 1, int(round(months * fraction)))))

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
