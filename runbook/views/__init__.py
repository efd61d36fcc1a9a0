"""The runbook's pages (server-rendered, htmx where it helps), one module per page family; routes in runbook/urls.py."""
