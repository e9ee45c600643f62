"""The learning responses a practice can choose at triage, each with the questions it asks.

From NHS England's Patient Safety Incident Response Framework (PSIRF) learning-response tools and the
NES/RCGP significant event analysis (SEA) guidance: a response is chosen in proportion to what the event
can teach, not to how bad it was. Each response has its prompts; the analysis stage asks them and the
stage machine (:mod:`qiloop.learning.workflow`) will not let the analysis be left until each is answered.

>>> [prompt.question for prompt in RESPONSES["after_action_review"].prompts]
['What was expected to happen?', 'What actually happened?', 'Why was there a difference?', 'What will we do next time?']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prompt:
    key: str  # stored as the answer's key
    question: str
    hint: str = ""


@dataclass(frozen=True)
class Response:
    key: str
    label: str
    summary: str
    prompts: tuple[Prompt, ...]
    needs_meeting: bool = True  # whether a date the team met (or huddled) is asked for


RESPONSES: dict[str, Response] = {
    r.key: r
    for r in (
        Response(
            "none",
            "No further learning response",
            "The report and its immediate actions are enough; the event still counts in thematic review.",
            (Prompt("why_no_response", "Why is no further response needed?"),),
            needs_meeting=False,
        ),
        Response(
            "swarm_huddle",
            "SWARM huddle",
            "A short huddle of the people involved, the same day, guided by the SEIPS factors. "
            "More than 24 hours after the event it is an after action review.",
            (
                Prompt("expected", "What should have happened?"),
                Prompt(
                    "difference",
                    "What was different, and which factors (people, tasks, tools, environment, "
                    "organisation) played a part?",
                ),
                Prompt("now", "What can we do now to stop it happening again?"),
            ),
        ),
        Response(
            "after_action_review",
            "After action review",
            "A structured conversation with the people involved, led by a facilitator.",
            (
                Prompt("expected", "What was expected to happen?"),
                Prompt("actual", "What actually happened?"),
                Prompt("difference", "Why was there a difference?"),
                Prompt("next_time", "What will we do next time?"),
            ),
        ),
        Response(
            "sea_meeting",
            "Significant event analysis meeting",
            "The practice team meets to analyse the event (NES/RCGP seven-stage SEA).",
            (
                Prompt("could_have_been_different", "Could anything have been done differently?"),
                Prompt("impact", "What was the impact, and on whom (patient, carer or family, staff, the practice)?"),
            ),
        ),
        Response(
            "mdt_review",
            "Multidisciplinary team review",
            "People from different services look at the event together.",
            (
                Prompt("views", "What did each service see and do?"),
                Prompt("shared_factors", "Which factors did the services share?"),
            ),
        ),
        Response(
            "thematic_review",
            "Thematic review",
            "The event is looked at with others like it, to find what they have in common.",
            (
                Prompt("theme", "Which events form the theme, and over what period?"),
                Prompt("common", "What do they have in common?"),
            ),
        ),
        Response(
            "psii",
            "Referred for a patient safety incident investigation",
            "The event is referred for a PSII, led outside the practice.",
            (
                Prompt("referred_to", "Who was it referred to, and when?"),
                Prompt("practice_part", "What is the practice's part in the investigation?"),
            ),
            needs_meeting=False,
        ),
    )
}


def response(key: str) -> Response:
    try:
        return RESPONSES[key]
    except KeyError:
        names = ", ".join(RESPONSES)
        raise ValueError(f"{key!r} is not a learning response; choose one of: {names}.") from None
