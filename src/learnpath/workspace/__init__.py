"""The learner's workspace on a finished roadmap: its schedule, exports, changes, trash,
share links and map. Routes, pages and commands call these functions; the store keeps the
data and the domain computes the plan."""
