// The API's reference: Swagger UI on the OpenAPI document the server builds (a file, not an inline script:
// the pages' Content-Security-Policy allows scripts from this site only).
window.addEventListener("load", function () {
  var root = document.getElementById("api-reference");
  window.SwaggerUIBundle({url: root.dataset.spec, domNode: root, deepLinking: true});
});
