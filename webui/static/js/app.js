// Progressive enhancement only: every page works without this file.
// Ask before the actions that close a case or move it to another pathway.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
