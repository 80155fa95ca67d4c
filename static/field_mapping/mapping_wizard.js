// The mapping wizard's live hints (templates/admin/field_mapping/wizard/edit_mapping.html): what a
// typed property path is in the CRM, and the example options of each status rule's operator.
// A static file rather than an inline <script>, so the Content-Security-Policy can stay 'self'.
(function () {
  const catalogue = JSON.parse(document.getElementById("crm-catalogue").textContent);
  const hints = JSON.parse(document.getElementById("option-hints").textContent);
  const leadObject = document.querySelector("#mapping-form input[name=object_type]").value;
  function describe(path) {
    path = path.trim();
    if (!path) return ["", false];
    const segments = path.split(".");
    const prop = segments.pop();
    const kind = segments.length ? segments[segments.length - 1] : leadObject;
    const field = (catalogue[kind] || {})[prop];
    if (!field) return ["The CRM lists no such property", true];
    let text = field.label + " · " + field.type;
    if (field.options.length) {
      const shown = field.options.slice(0, 8).map(([v, l]) => (v === l ? v : v + " (" + l + ")"));
      text += " · options: " + shown.join(", ") + (field.options.length > 8 ? ", …" : "");
    }
    return [text, false];
  }
  document.querySelectorAll("#mapping-form input[list=crm-properties]").forEach(function (input) {
    const hint = input.parentElement.querySelector(".property-hint");
    input.addEventListener("input", function () {
      const [text, unknown] = describe(input.value);
      hint.textContent = text;
      hint.classList.toggle("unknown", unknown);
    });
  });
  document.querySelectorAll("#rules tr.rule select").forEach(function (select) {
    const options = select.closest("tr").querySelector("textarea.rule-options");
    const update = function () { options.placeholder = hints[select.value] || ""; };
    select.addEventListener("change", update);
    update();
  });
})();
