"""Monday.com: the GraphQL CrmClient, board items as leads and its webhooks (issue 4)."""
