// Submits the organization switch of the Integrations pages (templates/crm_integrations/base.html)
// as soon as another organization is chosen. A static file, not an onchange="" attribute, so the
// Content-Security-Policy needs no 'unsafe-inline' for scripts.
document.querySelectorAll("form.org-switch select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
