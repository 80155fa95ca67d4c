"""Mini CRM: a minimal provider that lives only in this folder, registered by one line of
``CRM_PROVIDERS`` in config/settings/test.py and named nowhere else.

Its CRM is in memory (``store``): lead records, owners and one account with its API key. The rest
is what any provider brings, one module per job:

* ``provider``: ``MiniCrmProvider``, the description the registry hands out (name, lead object
  type, default mapping, rate limits, URLs, the selection screen's "Connect with an API key");
* ``client``: ``MiniCrmClient``, the provider contract (crm_integrations/core/client.py) over the store;
* ``config``: its settings, ``settings.MINICRM`` or ``MINICRM_*`` variables
  (crm_integrations/core/provider_settings.py);
* ``webhooks``: its own webhook format, JSON events signed with HMAC-SHA256 over the body;
* ``mapping``: its default field mapping, as plain data;
* ``connect``, ``views``, ``urls``, ``templates/``: connecting by API key, its one staff page.

tests/crm_integrations/test_minimal_provider.py walks it from the selection screen through the
mapping wizard and a signed webhook to a routed lead whose owner is written back here.
"""
