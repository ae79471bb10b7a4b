// Handover forms: an "add row" button for table fields, the meeting record shown only for
// face-to-face handovers, and student fields that search as you type (学号 or name). Without
// JavaScript the form still works: a 学号 typed into a student field is enough (CSP: no
// inline script).
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
      var named = el.getAttribute("aria-label");
      if (named) { el.setAttribute("aria-label", named.replace(/第 \d+ 行/, "第 " + (index + 1) + " 行")); }
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

  // Student fields: what is typed (the last 学号 of a students field) is sent to the lookup
  // (POST: it may be a name, which must not land in a URL), and up to 20 students come back
  // as a listbox; choosing one puts its 学号 in the box. Arrow keys, Enter and Escape work.
  var SEPARATORS = /[\s,，、;；]+/;
  var csrf = document.querySelector('input[name="csrf_token"]');

  function picker(box) {
    var input = box.querySelector("input");
    var multi = box.hasAttribute("data-multi");
    var help = document.getElementById(input.id + "-help");
    var list = document.createElement("ul");
    var timer = null, asked = 0, items = [], active = -1;
    list.id = input.id + "-options";
    list.className = "picker-options";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    if (help && help.dataset.withScript) { help.textContent = help.dataset.withScript; }

    function typed() {
      if (!multi) { return input.value.trim(); }
      var parts = input.value.split(SEPARATORS);
      return parts[parts.length - 1];
    }
    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function note(text) {
      var li = document.createElement("li");
      li.className = "picker-note";
      li.textContent = text;
      list.appendChild(li);
    }
    function choose(student) {
      if (multi) {
        var parts = input.value.split(SEPARATORS).filter(function (p) { return p; });
        if (typed()) { parts.pop(); }
        parts.push(student.student_no);
        input.value = parts.join("、") + "、";
      } else {
        input.value = student.student_no;
      }
      var picked = document.getElementById(input.id + "-picked");
      if (!picked) {
        picked = document.createElement("p");
        picked.id = input.id + "-picked";
        picked.className = "picked";
        box.appendChild(picked);
      }
      var line = student.student_no + " " + student.name;
      picked.textContent = multi && picked.textContent ? picked.textContent + "、" + line
        : "已选：" + line;
      close();
      input.focus();
    }
    function mark(index) {
      var options = list.querySelectorAll('[role="option"]');
      options.forEach(function (li, i) { li.setAttribute("aria-selected", i === index); });
      active = index;
      if (options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }
    function show(data) {
      items = data.students || [];
      list.textContent = "";
      items.forEach(function (student, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.number = student.student_no;
        li.textContent = student.student_no + " " + student.name
          + (student.classes ? "（" + student.classes + "）" : "");
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the box
          choose(student);
        });
        list.appendChild(li);
      });
      if (!items.length) {
        note(data.short ? "姓名请至少输入两个字，或输入学号。" : "没有找到可选的学生。");
      } else if (data.more) {
        note("只显示前 " + items.length + " 个，请输入更多以缩小范围。");
      }
      active = -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function ask(body) {
      var text = typed();
      if (!body && !text) { close(); return; }
      var mine = ++asked;
      fetch(box.dataset.lookup, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "X-CSRFToken": csrf ? csrf.value : "" },
        body: body || "q=" + encodeURIComponent(text)
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (data && mine === asked && document.activeElement === input) { show(data); }
      }).catch(function () { /* typing a 学号 still works */ });
    }
    // A class chosen beside the box (the approval request): its students are listed to pick.
    var classes = document.getElementById(box.dataset.classSelect || "");
    if (classes) {
      classes.addEventListener("change", function () {
        if (!classes.value) { return; }
        input.focus();
        ask("class_id=" + encodeURIComponent(classes.value));
      });
    }
    input.addEventListener("input", function () {
      var picked = document.getElementById(input.id + "-picked");
      if (picked && !multi) { picked.remove(); }
      clearTimeout(timer);
      timer = setTimeout(function () { ask(""); }, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown") { ask(""); }
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        if (items.length) { mark((active + step + items.length) % items.length); }
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();  // choose, do not submit the form
        choose(items[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  document.querySelectorAll(".picker[data-lookup]").forEach(picker);
})();
