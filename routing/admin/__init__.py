"""The routing admin: reps and teams, the rule set (Publish, Simulate) and its rules, the routing
policy, lead journeys (timeline, Reprocess) and owner write-backs (Retry now).

Admin classes stay thin: the work is in ``routing.simulation``, ``routing.reprocess``,
``routing.writeback_retry`` and the selectors of ``timeline``.
"""

from . import journeys, policy, reps, rules, writes

__all__ = ["journeys", "policy", "reps", "rules", "writes"]
