"""Logins: brute-force lockout (django-axes) and the audit trail of logins and API token use.

- Lockout: django-axes counts failed logins in the database (``axes.AccessAttempt``, one row per
  username + address + user agent, incremented under ``SELECT … FOR UPDATE``), so the count holds when many
  attempts arrive in parallel on PostgreSQL. An account is locked after ``LOGIN_FAILURE_LIMIT`` failures
  within ``LOGIN_LOCKOUT_MINUTES``; an address after ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures across all
  accounts (:class:`handler.LoginAttemptHandler`). Only logins through ``authenticate()`` count: the login
  page and the admin's. API tokens are not passwords and never go through it.
- Lockout answer: 429 with ``Retry-After`` and the page ``registration/locked_out.html`` (:mod:`.views`).
- Audit trail (:mod:`.audit`): ``login_succeeded``, ``login_failed``, ``login_locked_out`` and
  ``token_used`` :class:`audit.models.Event` rows, without a merger; administrators see them in the admin.
"""
