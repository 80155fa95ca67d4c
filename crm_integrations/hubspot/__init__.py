"""HubSpot: OAuth 2.0 connection, the batch-first CrmClient and its webhooks (issue 3)."""
