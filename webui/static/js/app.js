// Progressive enhancement only: every page works without this file.
// Ask before the actions that cannot be undone (closing a case, moving it to another pathway, erasing).
// Once asked here, the form's `confirmed` field says so; without this file the server asks on a page instead.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  var confirmed = form.querySelector("input[name=confirmed]");
  if (confirmed) {
    confirmed.value = "1";
  }
});

// A refused action shows its error where its form is: bring it into view.
document.addEventListener("DOMContentLoaded", function () {
  var problem = document.getElementById("problem");
  if (problem) {
    problem.scrollIntoView({block: "center"});
    problem.focus({preventScroll: true});
  }
});
