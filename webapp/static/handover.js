// Handover forms: an "add row" button for table fields, and the meeting record shown only for
// face-to-face handovers. Without JavaScript the form still works (CSP: no inline script).
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

  // The meeting record (policy M3) shows only when 面对面 is chosen; without JavaScript it is
  // always shown and ignored by the server unless M3 is chosen.
  var meeting = document.getElementById("meeting-record");
  var radios = document.querySelectorAll('input[name="method"]');
  function showMeeting() {
    var chosen = document.querySelector('input[name="method"]:checked');
    meeting.hidden = !(chosen && chosen.value === "M3");
  }
  if (meeting && radios.length) {
    radios.forEach(function (radio) { radio.addEventListener("change", showMeeting); });
    showMeeting();
  }
})();
