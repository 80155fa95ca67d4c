"""How callers of ``/api/v1/`` authenticate: one list for the contracts API and the schema.

An API token first (``Authorization: Token <token>``, django-rest-knox, issued by
``manage.py create_api_token``), so an anonymous caller's 401 says ``WWW-Authenticate: Token``;
then the staff session (whose writes need the CSRF token, DRF's rule). The schema view
(``config/urls.py``) takes the same list, so an API client reads the schema with the token it
calls the API with; who may read it is still ``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]`` (staff).
"""

from __future__ import annotations

from knox.auth import TokenAuthentication
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

API_AUTHENTICATION: list[type[BaseAuthentication]] = [TokenAuthentication, SessionAuthentication]
