"""Alerts when a person is needed: incidents per connection, and the notices that tell its admins.

The map, in the order a problem travels:

1. **Conditions** (``conditions``): what counts as a problem, one check per incident kind. This
   package's own (``checks``: a connection that needs reconnecting, a circuit breaker failing for
   too long, webhooks arriving but no lead taken in) and those of the apps above, registered in
   their ``AppConfig.ready`` (routing/alert_conditions.py: owner write-backs failing).
2. **Incidents** (``incidents``): the beat task ``crm_integrations.tasks.evaluate_alerts`` runs every
   check each minute; a problem found opens one incident per (connection, kind) (a database
   constraint), a problem gone resolves it. Idempotent: a second run changes nothing.
3. **Notices** (``notices``): the transaction that opens or resolves an incident also writes its
   notices (an email to the organization's administrators, a Slack message when the organization
   set a webhook, ``slack``); they are sent once that transaction has committed, each claimed
   once, and a failed one is tried again once by a later run.
4. **Shown** (``selectors``): the open incidents on the admin home (templates/admin/index.html),
   each with what to do and the page that fixes it; the incident list in the admin.

Thresholds: ``settings.ALERTS`` (docs/operations.md, "Alerts").
"""
