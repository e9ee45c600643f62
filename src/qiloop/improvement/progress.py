"""A project's progress read from its evidence, not a score typed by hand.

Five steps, each done or not, with a line saying why:

1. ``aim`` – the aim says what, by how much and by when (:func:`qiloop.improvement.aims.check_aim`);
2. ``baseline`` – at least one measure has enough points before any change to set a baseline
   (:data:`qiloop.improvement.change.MIN_BEFORE`; see :func:`~qiloop.improvement.change.has_baseline`);
3. ``cycles`` – at least one PDSA cycle has been run to its end (Act or Done);
4. ``improvement`` – a measure shows special-cause improvement since a change
   (:func:`qiloop.improvement.change.assess_change`);
5. ``sustained`` – that improvement has held (:attr:`ChangeVerdict.sustained`).

>>> steps = progress(aim_ok=True, measures_with_baseline=1, measures=3, cycles_done=0, cycles=1,
...                  improvement=False, sustained=False)
>>> [(s.key, s.done) for s in steps]
[('aim', True), ('baseline', True), ('cycles', False), ('improvement', False), ('sustained', False)]
>>> steps[2].detail
'1 cycle started, none finished yet: take it through Study and Act.'
"""

from __future__ import annotations

from dataclasses import dataclass

from qiloop.improvement.change import MIN_BEFORE


@dataclass(frozen=True)
class Step:
    """One step of progress: ``done`` from the evidence, ``detail`` says what shows it or what to do next."""

    key: str
    label: str
    done: bool
    detail: str


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def progress(
    *,
    aim_ok: bool,
    measures_with_baseline: int,
    measures: int,
    cycles_done: int,
    cycles: int,
    improvement: bool,
    sustained: bool,
) -> list[Step]:
    """The five steps (aim, baseline, cycles, improvement, sustained), in order, from counts the workbench has already computed.

    ``cycles_done`` counts cycles that reached Act or Done; ``improvement``/``sustained`` are
    true when any project measure's :class:`~qiloop.improvement.change.ChangeVerdict` says so.
    """
    if min(measures_with_baseline, measures, cycles_done, cycles) < 0:
        raise ValueError("counts of measures and cycles cannot be negative")
    steps = [
        Step(
            "aim",
            "Aim set",
            aim_ok,
            "The aim says what, by how much and by when."
            if aim_ok
            else "Finish the aim: say what will improve, by how much and by when.",
        ),
        _baseline_step(measures_with_baseline, measures),
        _cycles_step(cycles_done, cycles),
        Step(
            "improvement",
            "Improvement signal",
            improvement,
            "A measure shows special-cause improvement since a change."
            if improvement
            else "No measure shows special-cause improvement since a change yet.",
        ),
        Step(
            "sustained",
            "Sustained",
            sustained and improvement,
            "The improvement has held: the latest points are all on the better side of the old average."
            if sustained and improvement
            else "Not yet: keep plotting after the improvement until the latest points all stay better than before.",
        ),
    ]
    return steps


def _baseline_step(with_baseline: int, measures: int) -> Step:
    if measures == 0:
        return Step("baseline", "Measures with a baseline", False, "Add a measure: outcome, process or balancing.")
    done = with_baseline > 0
    if done:
        detail = (
            f"{with_baseline} of {_plural(measures, 'measure')} {'has' if with_baseline == 1 else 'have'} a baseline."
        )
    else:
        whose = "The measure has" if measures == 1 else f"None of the {measures} measures has"
        detail = f"{whose} not got enough points yet to set a baseline ({MIN_BEFORE} before the first change)."
    return Step("baseline", "Measures with a baseline", done, detail)


def _cycles_step(done_count: int, cycles: int) -> Step:
    if cycles == 0:
        return Step("cycles", "PDSA cycles run", False, "Plan a first PDSA cycle to test a change idea.")
    if done_count == 0:
        noun = "1 cycle" if cycles == 1 else f"{cycles} cycles"
        pronoun = "it" if cycles == 1 else "one"
        return Step(
            "cycles",
            "PDSA cycles run",
            False,
            f"{noun} started, none finished yet: take {pronoun} through Study and Act.",
        )
    return Step("cycles", "PDSA cycles run", True, f"{done_count} of {_plural(cycles, 'cycle')} run to Act or Done.")
