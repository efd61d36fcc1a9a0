"""The pages (mounted at /)."""
urlpatterns: list = []
