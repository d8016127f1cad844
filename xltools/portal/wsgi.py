"""The WSGI application (``xltools serve`` runs it with waitress; production: gunicorn ``xltools.portal.wsgi``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xltools.portal.settings")
application = get_wsgi_application()
