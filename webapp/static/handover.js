// Handover forms: an "add row" button for table fields. Without JavaScript the form still
// posts its empty rows; this only adds more of them (CSP: no inline script).
(function () {
  "use strict";
  function addRow(button) {
    var table = document.querySelector('table[data-table="' + button.dataset.table + '"]');
    var body = table.tBodies[0];
    var last = body.rows[body.rows.length - 1];
    var index = body.rows.length;
    var row = last.cloneNode(true);
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      el.name = el.name.replace(/\.\d+\.([^.]+)$/, "." + index + ".$1");
      el.id = el.id.replace(/-\d+-([^-]+)$/, "-" + index + "-$1");
      if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
    });
    body.appendChild(row);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }
  document.querySelectorAll("button.add-row").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button); });
  });
})();
