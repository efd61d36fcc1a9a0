"""The runbook's readers: queries shaped for pages, API and tasks. Nothing here writes."""
