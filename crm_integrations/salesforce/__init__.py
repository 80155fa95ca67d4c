"""Salesforce: a later provider. Listed in the catalogue but not available yet (no client, no OAuth
app): the selection screen shows it as "not yet available" (crm_integrations/salesforce/provider.py)."""
