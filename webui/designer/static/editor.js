// The pathway editor, enhanced: syntax highlighting (CodeMirror), problems placed on their lines, and a
// check and preview that do not reload the page. Without this file the form does the same by posting.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  var area = document.getElementById("editor-text");
  if (!form || !area) { return; }
  var editor = null;
  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(area, {
      mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, lineWrapping: true,
      gutters: ["editor-marks", "CodeMirror-linenumbers"],
      // Tab leaves the editor, as everywhere else on the page (no keyboard trap); Enter keeps the indent.
      extraKeys: { Tab: false, "Shift-Tab": false }
    });
    var label = area.labels && area.labels[0] ? area.labels[0].textContent : "";
    editor.getInputField().setAttribute("aria-label", label);
    // The scrolling area takes the focus too, so that keyboard users can scroll it.
    editor.getScrollerElement().setAttribute("tabindex", "0");
    editor.getScrollerElement().setAttribute("aria-label", label);
  }
  var marked = [];
  var list = document.getElementById("editor-problems");
  var diagram = document.getElementById("editor-diagram");
  var token = form.querySelector("input[name=csrf_token]").value;

  function text() { return editor ? editor.getValue() : area.value; }

  function clearMarks() {
    if (!editor) { return; }
    marked.forEach(function (line) { editor.removeLineClass(line, "background", "editor-problem-line"); });
    editor.clearGutter("editor-marks");
    marked = [];
  }

  function markLines(problems) {
    clearMarks();
    if (!editor) { return; }
    problems.forEach(function (p) {
      if (p.elsewhere) { return; }  // a line of another file (a shared stage), not of this text
      var line = editor.getLineHandle(Math.max(p.line - 1, 0));
      if (!line) { return; }
      editor.addLineClass(line, "background", "editor-problem-line");
      var mark = document.createElement("span");
      mark.className = "editor-mark";
      mark.textContent = "●";
      mark.title = p.message;
      editor.setGutterMarker(line, "editor-marks", mark);
      marked.push(line);
    });
  }

  function show(result) {
    list.textContent = "";
    var notice = document.createElement("p");
    if (!result.problems.length) {
      notice.className = "notice notice-success";
      notice.setAttribute("role", "status");
      notice.textContent = list.getAttribute("data-ok") || "OK";
      list.appendChild(notice);
    } else {
      notice.className = "notice notice-error";
      notice.setAttribute("role", "alert");
      notice.textContent = result.summary;
      list.appendChild(notice);
      var ul = document.createElement("ul");
      result.problems.forEach(function (p) {
        var li = document.createElement("li");
        li.className = "problem-" + p.severity;
        var where = (list.getAttribute("data-line-word") || "line") + " " + p.line + ":" + p.column;
        if (p.elsewhere) {
          var file = document.createElement("strong");
          file.textContent = (list.getAttribute("data-in-file") || "{file}").replace("{file}", p.elsewhere);
          li.appendChild(file);
          li.appendChild(document.createTextNode(", " + where));
        } else {
          li.setAttribute("data-line", p.line);
          var a = document.createElement("a");
          a.href = "#line-" + p.line;
          a.textContent = where;
          li.appendChild(a);
        }
        li.appendChild(document.createTextNode(": " + p.message + (p.path ? " (" + p.path + ")" : "")));
        ul.appendChild(li);
      });
      list.appendChild(ul);
    }
    markLines(result.problems);
    if (result.svg !== undefined && result.svg !== null) {
      var doc = new DOMParser().parseFromString(result.svg, "image/svg+xml");
      diagram.textContent = "";
      diagram.appendChild(document.importNode(doc.documentElement, true));
    }
  }

  function check(preview) {
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-check-url"));
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", token);
    request.onload = function () {
      if (request.status === 200) { show(JSON.parse(request.responseText)); }
    };
    request.send(JSON.stringify({ text: text(), file_name: form.querySelector("input[name=file_name]").value,
                                  preview: preview }));
  }

  document.getElementById("editor-check").addEventListener("click", function (event) {
    event.preventDefault(); check(false);
  });
  document.getElementById("editor-preview").addEventListener("click", function (event) {
    event.preventDefault(); check(true);
  });
  list.addEventListener("click", function (event) {
    var item = event.target.closest("li[data-line]");
    if (item && editor) {
      event.preventDefault();
      var line = parseInt(item.getAttribute("data-line"), 10) - 1;
      editor.focus();
      editor.setCursor({ line: line, ch: 0 });
      editor.scrollIntoView({ line: line, ch: 0 }, 80);
    }
  });
  // Problems shown by the server (no-JS check or failed save) are placed on their lines too.
  var initial = [];
  list.querySelectorAll("li[data-line]").forEach(function (li) {
    initial.push({ line: parseInt(li.getAttribute("data-line"), 10), message: li.textContent });
  });
  markLines(initial);
})();
