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
  // Other lookups (the lend form's borrower) answer {items: [{value, label}]} instead.
  var SEPARATORS = /[\s,，、;；]+/;
  var csrf = document.querySelector('input[name="csrf_token"]');

  function valueOf(item) { return item.value || item.student_no; }

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
        parts.push(valueOf(student));
        input.value = parts.join("、") + "、";
      } else {
        input.value = valueOf(student);
      }
      var picked = document.getElementById(input.id + "-picked");
      if (!picked) {
        picked = document.createElement("p");
        picked.id = input.id + "-picked";
        picked.className = "picked";
        box.appendChild(picked);
      }
      var line = student.label || student.student_no + " " + student.name;
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
      items = data.students || data.items || [];
      list.textContent = "";
      items.forEach(function (student, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.number = valueOf(student);
        li.textContent = student.label || student.student_no + " " + student.name
          + (student.classes ? "（" + student.classes + "）" : "");
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the box
          choose(student);
        });
        list.appendChild(li);
      });
      if (!items.length) {
        note(data.short ? "姓名请至少输入两个字，或输入学号。"
          : data.items ? "没有找到匹配的人员。" : "没有找到可选的学生。");
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

  // Issue 14: forms that keep what they were given.
  var forms = document.querySelectorAll("#handover-form, #correct-form");

  // "Leave this page?" once something was typed or chosen, until the form is submitted.
  var dirty = false;
  forms.forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave this page?" text
  });

  // Drag and drop onto an attachment's file box; the plain file input stays underneath and
  // works without JavaScript.
  function dropZone(input) {
    var zone = document.createElement("div");
    zone.className = "drop-zone";
    var hint = document.createElement("span");
    hint.className = "drop-hint";
    hint.textContent = "可将文件拖放到这里";
    input.parentNode.insertBefore(zone, input);
    zone.appendChild(input);
    zone.appendChild(hint);
    function show() {
      hint.textContent = input.files.length ? "已选择：" + input.files[0].name
        + "（" + (input.files[0].size / 1024).toFixed(1) + " KB）" : "可将文件拖放到这里";
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("drop-over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("drop-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      var one = new DataTransfer();
      one.items.add(files[0]);
      input.files = one.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("change", show);
  }
  forms.forEach(function (form) {
    form.querySelectorAll('input[type="file"]').forEach(dropZone);
  });

  // Large files go up with a progress bar (XMLHttpRequest reports upload progress; a plain
  // form post does not). The answer replaces the page as a normal submit would.
  var LARGE = 1024 * 1024;
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var total = 0;
      form.querySelectorAll('input[type="file"]').forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { total += f.size; });
      });
      if (total < LARGE || !window.FormData) { return; }
      event.preventDefault();
      var bar = document.getElementById("upload-progress");
      if (!bar) {
        bar = document.createElement("progress");
        bar.id = "upload-progress";
        bar.max = 100;
        bar.setAttribute("aria-label", "上传进度");
        form.querySelector(".actions").appendChild(bar);
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));  // form.action: the buttons named action
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        history.replaceState(null, "", xhr.responseURL);
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        bar.remove();
        alert("上传失败，请检查网络后重试。");
      });
      xhr.send(new FormData(form, event.submitter));
    });
  });
})();
