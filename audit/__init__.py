"""The audit trail: who changed what, when, from what to what.

The bottom app every other app records its changes in. :mod:`audit.models` holds the :class:`Event` row;
:mod:`audit.events` its verbs (:class:`audit.events.Verb`) and one recorder per kind of change, which the
services of the apps above call inside their own transaction. It imports no app of the project.
"""
