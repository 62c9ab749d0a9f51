import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from welfare.apps import secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
application = get_wsgi_application()

# A server never starts without a signing key: Django refuses to read an empty one.
if not secret_key():
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
