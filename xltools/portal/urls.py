"""The portal's URLs. Every page needs sign-in (Django's LoginRequiredMiddleware) except the sign-in page.

    /login/  /logout/                  sign in and out (Django's views)
    /                                  the office to /office/, a unit to /unit/
    /unit/...                          a unit's own round, uploads and results (unit_views)
    /office/...                        the office's rounds, dashboard, decisions, consolidation (office_views)
    /admin/                            Django's admin, for superusers
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from xltools.portal import office_views, review_views, unit_views
from xltools.portal.access import is_office


def home(request: HttpRequest) -> HttpResponse:
    return redirect("office" if is_office(request.user) else "unit")


urlpatterns = [
    path("login/", login_not_required(auth_views.LoginView.as_view(template_name="portal/login.html",
                                                                    redirect_authenticated_user=True)),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home, name="home"),
    *unit_views.urlpatterns,
    *office_views.urlpatterns,
    *review_views.urlpatterns,
    path("admin/", admin.site.urls),
]
