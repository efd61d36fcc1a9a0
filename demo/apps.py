from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and the 2007 reform's national scenario: seeding commands at the top of the stack."""

    name = "demo"
    verbose_name = "Demo"
