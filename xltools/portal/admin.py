"""Django's admin for the portal's records (for superusers: fixing a roster entry, resetting an account). Uploads
and the audit log are read-only there: nothing is ever overwritten or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xltools.portal.models import AuditEvent, Consolidation, Decision, RosterUnit, Round, Upload


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(Round)
admin.site.register(RosterUnit, list_display=("name", "code", "round", "account"), list_filter=("round",))
admin.site.register(Upload, ReadOnly, list_display=("unit", "version", "status", "uploaded_at", "sha256"))
admin.site.register(Decision, ReadOnly, list_display=("upload", "kind", "by", "at"))
admin.site.register(Consolidation, ReadOnly, list_display=("round", "state", "started_at", "finished_at"))
admin.site.register(AuditEvent, ReadOnly, list_display=("at", "username", "action", "unit", "ip"))
admin.site.site_header = "报送平台管理"
