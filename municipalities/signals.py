"""Signals municipalities sends for the apps above it.

``merger_plan_changed``: a change to mergers moves their plan (e.g. a dispensation date moves the gate the
areas bound to it go live from); sent with ``merger_ids``, a list of merger ids, inside the writing
transaction. The runbook connects the replan of each merger after commit.
"""
from django.dispatch import Signal

merger_plan_changed = Signal()
