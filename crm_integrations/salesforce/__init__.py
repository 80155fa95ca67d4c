"""Salesforce: a later provider; its catalogue entry stays disabled until this package has a client."""
