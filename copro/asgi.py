"""The ASGI application: every page, and the notification stream (server-sent events).

Production: gunicorn with uvicorn workers (see Dockerfile). Development with Redis:
`make run` serves this with uvicorn; with DEBUG it also serves static files, as
runserver does (WhiteNoise does it in production).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
application = get_asgi_application()

if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)
