"""Word counting: a small Graven project (tasks, a helper module, workflows, a launch plan)."""
