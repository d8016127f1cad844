"""The portal's Django application configuration (its label, name and verbose name)."""

from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "xltools.portal"
    label = "portal"
    verbose_name = "报送平台"
    default_auto_field = "django.db.models.BigAutoField"
