"""The contracts REST API under ``/api/v1/contracts/``: list, retrieve, and set the negotiation status."""
