"""Salesforce, the third CRM: OAuth (web server flow with PKCE), the client over the REST API (SOQL,
sObject Collections), polling on ``SystemModstamp`` and Outbound Messages as a nudge. The provider
class (crm_integrations/salesforce/provider.py) describes it; setup: crm_integrations/salesforce/SETUP.md."""
