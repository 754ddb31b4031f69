// Pickers of ESCO occupations and skills for the databank forms (progressive enhancement: without this
// file the same inputs take free text, which the server matches to the taxonomy when it is an exact label).
// An input with data-esco="skill|occupation" and a <datalist> gets suggestions as one types; choosing one
// fills the hidden field named by data-uri-field with the concept's URI. In a list typed with ";" only the
// last item is completed.
(function () {
  "use strict";
  var script = document.getElementById("databank-script");
  var endpoint = script && script.getAttribute("data-suggest");
  if (!endpoint || !window.fetch) { return; }

  function prefixOf(value) {
    var cut = value.lastIndexOf(";");
    return cut < 0 ? "" : value.slice(0, cut + 1) + " ";
  }

  function setUri(input) {
    var target = input.getAttribute("data-uri-field");
    var field = target && document.getElementById(target);
    if (!field) { return; }
    var chosen = (input._escoChoices || {})[input.value.trim()];
    field.value = chosen || "";
  }

  function attach(input) {
    var list = input.list;
    if (!list) { return; }
    var timer = null;
    var asked = "";
    input._escoChoices = {};
    input.addEventListener("input", function () {
      setUri(input);
      var value = input.value;
      var typed = value.slice(prefixOf(value).length).trim();
      if (typed.length < 2 || typed === asked) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        asked = typed;
        var url = endpoint + "?kind=" + encodeURIComponent(input.getAttribute("data-esco")) +
          "&q=" + encodeURIComponent(typed);
        window.fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {items: []}; })
          .then(function (data) {
            var prefix = prefixOf(input.value);
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (data.items || []).forEach(function (item) {
              var option = document.createElement("option");
              option.value = prefix + item.label;
              if (item.matched) { option.label = item.matched; }
              list.appendChild(option);
              input._escoChoices[(prefix + item.label).trim()] = item.uri;
            });
            setUri(input);
          })
          .catch(function () { /* the field still takes free text */ });
      }, 200);
    });
    input.addEventListener("change", function () { setUri(input); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-esco]"), attach);
})();
