"""Signals systems sends for the apps above it, inside the writing transaction; the runbook connects the
replan of every merger whose plan they move.

``vendor_capacity_changed``: vendors' weekly cutover capacity changed (their capacity or a capacity
period); sent with ``vendor_ids``, a set of vendor ids.

``domain_binding_changed``: how an area's go-live is bound to the legal date changed; sent with
``domain_id``.
"""
from django.dispatch import Signal

vendor_capacity_changed = Signal()
domain_binding_changed = Signal()
