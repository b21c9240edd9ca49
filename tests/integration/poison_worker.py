"""A real ``learnpath worker`` process with a poison item: ``python -m tests.integration.poison_worker``.

It runs ``learnpath.dispatch.celery_app.run_worker`` (what ``learnpath worker`` calls)
with a ``TinyTeam`` whose quiz call SIGKILLs its own process when it writes concept
``LPTEST_POISON_CONCEPT`` of a roadmap whose goal is ``LPTEST_POISON_GOAL``: the task
kills its worker at the same item every time, as a model call that exhausts memory or
crashes the interpreter would. Every other roadmap is written normally.
"""

from __future__ import annotations

import os
import signal
import sys

from learnpath.agents.team import ConceptBrief


async def _poison(name: str, subject: object) -> None:
    if name != "quiz" or not isinstance(subject, ConceptBrief):
        return
    goal = os.environ.get("LPTEST_POISON_GOAL")
    concept = os.environ.get("LPTEST_POISON_CONCEPT", "c2")
    if goal and subject.request.goal == goal and subject.concept.id == concept:
        print(f"poison: killing this worker at {concept} (quiz)", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    from learnpath.dispatch.celery_app import run_worker
    from learnpath.settings import Settings
    from learnpath.testing.teams import TinyTeam

    team = TinyTeam(
        concepts=int(os.environ.get("LPTEST_TEAM_CONCEPTS", "3")),
        delay=float(os.environ.get("LPTEST_TEAM_DELAY", "0.1")),
        hook=_poison,
    )
    sys.argv = sys.argv[:1]
    run_worker(Settings(), None, team=team)


if __name__ == "__main__":
    main()
