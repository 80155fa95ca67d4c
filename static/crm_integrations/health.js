// The provider health page (templates/crm_integrations/provider_health.html): draws each
// connection's charts with the vendored Chart.js from the data the page embeds (json_script), then
// polls the JSON endpoint (crm_integrations/api/health.py) every data-poll seconds and updates the
// charts, the verdict and the figures in place, without reloading. A static file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("health");
  var embedded = document.getElementById("health-data");
  if (!root || !embedded || typeof Chart === "undefined") { return; }
  var COLORS = {
    "Rate limited": "#e0a800", "Server errors (5xx)": "#c0392b", "Timeouts": "#8e44ad",
    "Authentication refused": "#d35400", "Invalid requests": "#7f8c8d", "Held back (breaker or limiter)": "#34495e"
  };
  var charts = {};

  function tick(label, period) {
    var d = new Date(label);
    var hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return period === "week" ? d.toLocaleDateString([], { weekday: "short" }) + " " + hm : hm;
  }
  function options(stacked, percent) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      // Kinds with no failure in the period are hidden, and left out of the legend.
      plugins: { legend: { labels: { boxWidth: 10, font: { size: 10 },
                                     filter: function (item) { return !item.hidden; } } } },
      scales: {
        x: { stacked: stacked, ticks: { maxTicksLimit: 8, font: { size: 10 } } },
        y: { stacked: stacked, beginAtZero: true, suggestedMax: percent ? 100 : undefined,
             ticks: { font: { size: 10 } } }
      }
    };
  }
  function callDatasets(row) {
    var sets = [{ type: "line", label: "Calls per minute", data: row.calls_per_minute,
                  borderColor: "#2c7be5", backgroundColor: "#2c7be5", pointRadius: 0, stack: "calls" }];
    Object.keys(row.errors).forEach(function (kind) {
      sets.push({ type: "bar", label: kind, data: row.errors[kind], backgroundColor: COLORS[kind] || "#999",
                  stack: "errors", hidden: !row.error_totals[kind] });
    });
    return sets;
  }
  function budgetDatasets(row) {
    return [{ label: "Budget used (%)", data: row.budget.share.map(function (s) { return s === null ? null : Math.round(s * 1000) / 10; }),
              borderColor: "#16a085", backgroundColor: "rgba(22,160,133,.2)", fill: true, pointRadius: 0 }];
  }
  function webhookDatasets(row) {
    return [{ label: "Deliveries per minute", data: row.webhooks.per_minute, backgroundColor: "#5b8def" }];
  }
  function text(article, selector, value) {
    var el = article.querySelector(selector);
    if (el) { el.textContent = value; }
  }
  function ms(value) { return value === null || value === undefined ? "—" : value + " ms"; }
  function describe(article, row) {
    var verdict = article.querySelector(".verdict");
    verdict.className = "verdict verdict-" + row.verdict.level;
    text(article, ".verdict-label", row.verdict.label);
    text(article, ".verdict-reason", row.verdict.reason);
    var failed = Object.keys(row.error_totals).filter(function (k) { return row.error_totals[k]; })
      .map(function (k) { return k + ": " + row.error_totals[k]; });
    text(article, ".error-totals", failed.length ? failed.join(" ") : "—");
    var peak = row.budget.peak === null ? "—" : Math.round(row.budget.peak * 100) + " %";
    text(article, ".budget", "Peak " + peak + "; " + row.budget.queued + " calls queued for the budget");
    text(article, ".breaker", row.breaker.state + (row.breaker.transitions.length ? " (" + row.breaker.transitions.length + " changes)" : ""));
    describeAllocation(article, row.allocation);
    var w = row.webhooks;
    text(article, ".webhooks", w.deliveries + " received, " + w.refused + " refused, " + w.duplicates +
      " duplicates; intake lag p50 " + ms(w.intake_lag_p50_ms) + ", p95 " + ms(w.intake_lag_p95_ms));
    var l = row.leads;
    text(article, ".leads", l.owners_written + " owners written; created → owner written p50 " + ms(l.to_owner_p50_ms) +
      ", p95 " + ms(l.to_owner_p95_ms) + "; write-backs " + l.writes_pending + " pending, " + l.writes_failed + " failed");
  }
  function describeAllocation(article, allocation) {
    var line = article.querySelector(".allocation");
    if (!line) { return; }
    line.hidden = !allocation;
    if (!allocation) { return; }
    article.querySelector(".allocation-bar").value = allocation.share;
    text(article, ".allocation-summary", allocation.summary);
    text(article, ".allocation-seen", allocation.seen_at.slice(11, 16));
    text(article, ".allocation-pause", allocation.pause_note);
  }
  function draw(data) {
    var labels = data.labels.map(function (label) { return tick(label, data.period); });
    data.connections.forEach(function (row) {
      var article = document.getElementById("health-" + row.id);
      if (!article) { return; }
      var sets = { calls: callDatasets(row), budget: budgetDatasets(row), webhooks: webhookDatasets(row) };
      var existing = charts[row.id];
      if (existing) {
        Object.keys(sets).forEach(function (name) {
          existing[name].data.labels = labels;
          existing[name].data.datasets = sets[name];
          existing[name].update("none");
        });
        describe(article, row);
        return;
      }
      charts[row.id] = {
        calls: new Chart(article.querySelector(".chart-calls"), { type: "bar", data: { labels: labels, datasets: sets.calls }, options: options(true, false) }),
        budget: new Chart(article.querySelector(".chart-budget"), { type: "line", data: { labels: labels, datasets: sets.budget }, options: options(false, true) }),
        webhooks: new Chart(article.querySelector(".chart-webhooks"), { type: "bar", data: { labels: labels, datasets: sets.webhooks }, options: options(false, false) })
      };
    });
    var updated = document.getElementById("health-updated");
    if (updated) { updated.textContent = "Updated " + new Date(data.generated_at).toLocaleTimeString(); }
    root.dataset.generatedAt = data.generated_at;
  }
  function poll() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* the next poll tries again */ });
  }
  draw(JSON.parse(embedded.textContent));
  window.setInterval(poll, (parseInt(root.dataset.poll, 10) || 15) * 1000);
})();
