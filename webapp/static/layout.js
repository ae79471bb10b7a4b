// Phones first (issue 14): on a narrow screen the filters of a list fold away under a
// "筛选" summary, so that the list itself comes first. Without JavaScript they stay open:
// nothing is lost, only the page is longer. (CSP: no inline script.)
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 760px)").matches) { return; }
  // Folds the templates mark themselves (<details class="fold" open>): closed on a phone.
  document.querySelectorAll("details.fold[open]").forEach(function (fold) {
    if (!fold.querySelector(".has-error, [aria-invalid=true]")) { fold.open = false; }
  });
  // The GET filter forms above the lists: folded, and open when a filter is in use.
  document.querySelectorAll("form.filters").forEach(function (form) {
    var used = Array.prototype.some.call(form.elements, function (el) {
      return el.name && el.type !== "submit" && el.type !== "hidden" && el.value !== "" &&
        (el.type !== "checkbox" || el.checked);
    });
    var fold = document.createElement("details");
    fold.className = "fold filters-fold";
    fold.open = used;
    var summary = document.createElement("summary");
    summary.textContent = used ? "筛选（已使用）" : "筛选";
    form.parentNode.insertBefore(fold, form);
    fold.appendChild(summary);
    fold.appendChild(form);
  });
})();
