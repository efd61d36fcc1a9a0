"""The forms of the runbook's pages: step filters, status changes, sign-offs and comments (steps), plan editing (plan), My steps (my_steps)."""
