"""Local stand-ins for the CRMs the product talks to, served over real HTTP.

Nothing here imports Django or the rest of the app: the product reaches a sandbox only through its URL.
"""
