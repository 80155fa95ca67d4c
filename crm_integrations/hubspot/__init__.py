"""HubSpot: OAuth 2.0 connection, the batch-first CrmClient and its webhooks.

Connecting it is described in docs/connecting-crms.md; what a HubSpot administrator sets up on their
side (the app, scopes, webhook subscriptions, the workflow action) in crm_integrations/hubspot/SETUP.md.
"""
