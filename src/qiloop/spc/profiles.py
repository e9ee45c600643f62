"""Named rule profiles: every constant that decides limits and signals, in one frozen dataclass.

Three profiles are built in (see docs/spc.md for where each constant comes from):

* ``mdc`` – NHS England Making Data Count, Single Chart Tool v5.0: limits at
  mean ± 2.66 × mean moving range, no moving-range screening, shift and trend
  of 6, two of three beyond 2σ on one side, rules cross recalculations,
  improvement wins a conflict, limits and icons only with 13 or more points.
* ``qicharts2`` – the R package qicharts2 with the package attached: 3σ limits
  with σ = mean MR / 1.128 after screening moving ranges ≥ 3.267 × mean MR,
  Anhøj runs rules (longest run, crossings) per phase, no other rules.
* ``plotthedots`` – NHSRplotthedots defaults: 2.66 × screened mean MR, shift
  and trend of 7, two of three, rules reset at each rebase, label precedence
  outside > trend > two-of-three > shift, strict assurance comparisons.

Use :func:`get_profile` with keyword overrides, e.g.
``get_profile("mdc", shift_length=7, trend_length=7)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qiloop.errors import InputError

RULE_ORDER: tuple[str, ...] = ("outside_limits", "trend", "two_of_three", "shift", "longest_run")


@dataclass(frozen=True)
class RuleProfile:
    """The constants of one rule set.

    Limits
      ``sigma_multiplier`` – process limits at CL ± this many σ (3).
      ``xmr_constant`` – XmR limits at mean ± ``xmr_constant`` × mean MR when
      ``sigma_multiplier`` is 3 (σ = ``xmr_constant``/3 × mean MR): 2.66 for MDC
      and NHSRplotthedots, 3/1.128 = 2.6596 for qicharts2.
      ``two_sigma_lines`` – also return the 2σ lines.
      ``mr_screening`` / ``mr_screen_constant`` – drop moving ranges at or above
      ``mr_screen_constant`` × mean MR and recompute the mean MR (Nelson 1982).
      ``min_points_for_limits`` – fewer points than this in the whole chart: no
      limits, no rules that need limits, no icons.
    Rules
      ``outside_limits`` – a point strictly beyond a process limit.
      ``shift_length`` – this many consecutive points on one side of the centre
      line (a point on the line breaks the run); ``None`` turns it off.
      ``trend_length`` – this many consecutive points strictly rising or
      falling (ties break it); ``None`` turns it off.
      ``two_of_three`` – 2 of 3 consecutive points beyond the same 2σ line;
      ``two_of_three_same_side`` requires all 3 on that side of the centre
      line; ``two_of_three_counts_beyond_3sigma`` lets points beyond 3σ count.
      ``anhoej_runs`` – Anhøj runs rules (longest run, number of crossings).
      ``rules_cross_phases`` – multi-point rules run across phase boundaries.
      ``conflict`` – ``"improvement"``: a point that is both improvement and
      concern shows improvement (MDC); ``"precedence"``: the first rule in
      ``rule_precedence`` decides (NHSRplotthedots).
    Assurance
      ``assurance_inclusive`` – a target exactly on a limit counts as
      passing/failing (MDC) rather than hit and miss (NHSRplotthedots).
    """

    name: str
    sigma_multiplier: float = 3.0
    xmr_constant: float = 2.66
    two_sigma_lines: bool = True
    mr_screening: bool = False
    mr_screen_constant: float = 3.267
    min_points_for_limits: int = 1
    outside_limits: bool = True
    shift_length: int | None = None
    trend_length: int | None = None
    two_of_three: bool = False
    two_of_three_same_side: bool = True
    two_of_three_counts_beyond_3sigma: bool = False
    anhoej_runs: bool = False
    rules_cross_phases: bool = False
    conflict: str = "improvement"
    rule_precedence: tuple[str, ...] = RULE_ORDER
    assurance_inclusive: bool = True
    g_centre: str = "median"

    def __post_init__(self) -> None:
        if self.conflict not in ("improvement", "precedence"):
            raise InputError(f"conflict must be 'improvement' or 'precedence', not {self.conflict!r}")
        if self.g_centre not in ("median", "0.693_mean", "mean"):
            raise InputError(f"g_centre must be 'median', '0.693_mean' or 'mean', not {self.g_centre!r}")
        for name in ("shift_length", "trend_length"):
            value = getattr(self, name)
            if value is not None and value < 2:
                raise InputError(f"{name} must be at least 2 (or None to turn the rule off), not {value}")
        if self.sigma_multiplier <= 0:
            raise InputError("sigma_multiplier must be positive")


PROFILES: dict[str, RuleProfile] = {
    "mdc": RuleProfile(
        name="mdc",
        xmr_constant=2.66,
        mr_screening=False,
        min_points_for_limits=13,
        shift_length=6,
        trend_length=6,
        two_of_three=True,
        rules_cross_phases=True,
        conflict="improvement",
        assurance_inclusive=True,
        g_centre="0.693_mean",
    ),
    "qicharts2": RuleProfile(
        name="qicharts2",
        xmr_constant=3 / 1.128,
        mr_screening=True,
        min_points_for_limits=1,
        shift_length=None,
        trend_length=None,
        two_of_three=False,
        anhoej_runs=True,
        rules_cross_phases=False,
        g_centre="median",
    ),
    "plotthedots": RuleProfile(
        name="plotthedots",
        xmr_constant=2.66,
        mr_screening=True,
        min_points_for_limits=1,
        shift_length=7,
        trend_length=7,
        two_of_three=True,
        rules_cross_phases=False,
        conflict="precedence",
        rule_precedence=("outside_limits", "trend", "two_of_three", "shift", "longest_run"),
        assurance_inclusive=False,
        g_centre="median",
    ),
}


def get_profile(profile: str | RuleProfile = "mdc", **overrides: object) -> RuleProfile:
    """The named profile (or the given one) with ``overrides`` applied.

    >>> get_profile("mdc", shift_length=7).shift_length
    7
    """
    if isinstance(profile, RuleProfile):
        base = profile
    else:
        try:
            base = PROFILES[profile]
        except KeyError:
            raise InputError(
                f"unknown SPC rule profile {profile!r}", hint=f"choose one of: {', '.join(sorted(PROFILES))}"
            ) from None
    if not overrides:
        return base
    known = {f.name for f in dataclasses.fields(RuleProfile)} - {"name"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError(
            f"unknown rule setting(s): {', '.join(unknown)}",
            hint=f"settings you can change: {', '.join(sorted(known))}",
        )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]
