"""The workflow engine: runs a task from its last committed step until done, parked or failed."""

from learnpath.workflow.engine import Workflow

__all__ = ["Workflow"]
