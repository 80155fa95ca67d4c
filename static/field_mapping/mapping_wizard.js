// The mapping wizard's live hints (templates/admin/field_mapping/wizard/edit_mapping.html): what a
// typed property path is in the CRM, and only the settings of each rule's chosen transform.
// A static file rather than an inline <script>, so the Content-Security-Policy can stay 'self'.
(function () {
  const catalogue = JSON.parse(document.getElementById("crm-catalogue").textContent);
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
  document.querySelectorAll("#rules tr.rule select[name$=-transform]").forEach(function (select) {
    const cell = select.closest("tr").querySelector("td.rule-options");
    const update = function () {
      let shown = 0;
      cell.querySelectorAll(".rule-option-field").forEach(function (setting) {
        const on = setting.dataset.transform === select.value;
        setting.hidden = !on;
        shown += on ? 1 : 0;
      });
      cell.querySelector(".no-settings").hidden = shown > 0;
    };
    select.addEventListener("change", update);
    update();
  });
})();
