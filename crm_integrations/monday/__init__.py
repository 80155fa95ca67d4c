"""Monday.com: the GraphQL CrmClient, board items as leads and its webhooks.

Connecting it (OAuth app or personal token, the board, webhooks) is described in docs/connecting-crms.md.
"""
