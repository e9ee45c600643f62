"""The published national figures the staff QI survey is set beside (held here as data).

Source: the national survey of UK general practice on quality improvement, July 2017 — 2,377 GPs and 1,424
practice managers (PMs) — published as Gosling J, Mays N, Erens B, Reid D, Exley J. *Quality improvement in
general practice: what do GPs and practice managers think?* BMJ Open Quality 2021;10:e001309
(https://bmjopenquality.bmj.com/content/10/2/e001309), and as the Health Foundation report *Quality
improvement in general practice* (December 2019, https://reader.health.org.uk/quality-improvement-in-general-practice/).

Each figure is a whole-number percentage of respondents, excluding "don't know" and "not applicable", as the
sources publish it; ``source`` names where it was read. Figures the sources do not give (areas of work by
area, tools outside the survey's eight, "trained in") are simply absent: an item without a figure is shown
without a national comparison, never with a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass

BMJOQ = "Gosling et al., BMJ Open Qual 2021;10:e001309"
HEADLINE = f"{BMJOQ}, results (headline figures)"
FACILITATORS = f"{BMJOQ}, facilitators table (% very or fairly helpful)"
BARRIERS = f"{BMJOQ}, barriers table (% much or somewhat more difficult)"
TOOLS_USED = "Health Foundation report 2019, Table 4.1 (tools used)"
TOOLS_WANTED = f"{BMJOQ}, Table 4 (would like training)"


@dataclass(frozen=True)
class National:
    """A published national figure: % of GPs and % of practice managers, and where it was published."""

    gp: int
    pm: int
    source: str

    @property
    def gap(self) -> int:
        """GP minus practice manager, in percentage points."""
        return self.gp - self.pm


# key -> (GP %, PM %, source). Keys are the instrument's indicator ids (qiloop.survey.instrument).
FIGURES: dict[str, National] = {
    # Headline figures.
    "areas.any": National(99, 99, f"{HEADLINE}: planned or did QI in the previous 12 months"),
    "lead.no_single_lead": National(62, 52, HEADLINE),
    "other_practices.yes": National(60, 71, HEADLINE),
    "ease.agree": National(65, 88, HEADLINE),
    "quality.below": National(27, 15, HEADLINE),
    "quality.above": National(23, 35, HEADLINE),
    # Facilitators: % very or fairly helpful.
    "facilitators.teamwork": National(98, 97, FACILITATORS),
    "facilitators.clinical_leadership": National(96, 95, FACILITATORS),
    "facilitators.clinical_skills_assess": National(94, 93, FACILITATORS),
    "facilitators.routine_monitoring": National(93, 93, FACILITATORS),
    "facilitators.nonclinical_skills_assess": National(85, 85, FACILITATORS),
    "facilitators.clinical_trained": National(86, 78, FACILITATORS),
    "facilitators.nonclinical_trained": National(84, 77, FACILITATORS),
    "facilitators.protected_time": National(79, 55, FACILITATORS),
    "facilitators.information_range": National(79, 70, FACILITATORS),
    "facilitators.patient_group": National(65, 52, FACILITATORS),
    "facilitators.external_support": National(50, 54, FACILITATORS),
    "facilitators.external_funding": National(42, 38, FACILITATORS),
    # Barriers: % much or somewhat more difficult.
    "barriers.patient_demand": National(95, 95, BARRIERS),
    "barriers.external_demands": National(95, 93, BARRIERS),
    "barriers.clinical_shortages": National(84, 77, BARRIERS),
    "barriers.nonclinical_shortages": National(65, 58, BARRIERS),
    "barriers.skill_mix": National(50, 50, BARRIERS),
    "barriers.data": National(43, 44, BARRIERS),
    "barriers.data_skills": National(42, 41, BARRIERS),
    "barriers.gps_not_engaged": National(39, 46, BARRIERS),
    "barriers.nonclinical_not_engaged": National(39, 42, BARRIERS),
    "barriers.communication": National(31, 31, BARRIERS),
    "barriers.lack_of_interest": National(28, 35, BARRIERS),
    # Tools used.
    "tools_used.audit": National(90, 85, TOOLS_USED),
    "tools_used.sea": National(90, 90, TOOLS_USED),
    "tools_used.pdsa": National(21, 31, TOOLS_USED),
    "tools_used.change_management": National(20, 42, TOOLS_USED),
    "tools_used.rca": National(19, 25, TOOLS_USED),
    "tools_used.process_mapping": National(16, 32, TOOLS_USED),
    "tools_used.model_for_improvement": National(6, 13, TOOLS_USED),
    "tools_used.run_charts": National(3, 7, TOOLS_USED),
    # Would like training (no figure for audit).
    "tools_wanted.pdsa": National(31, 29, TOOLS_WANTED),
    "tools_wanted.change_management": National(37, 32, TOOLS_WANTED),
    "tools_wanted.rca": National(35, 37, TOOLS_WANTED),
    "tools_wanted.process_mapping": National(36, 35, TOOLS_WANTED),
    "tools_wanted.model_for_improvement": National(39, 44, TOOLS_WANTED),
    "tools_wanted.run_charts": National(31, 35, TOOLS_WANTED),
    "tools_wanted.sea": National(15, 27, TOOLS_WANTED),
}

SAMPLE = {"gp": 2377, "pm": 1424}  # respondents to the 2017 national survey


def national(key: str) -> National | None:
    """The national figure for an indicator, or None when the sources publish none."""
    return FIGURES.get(key)
