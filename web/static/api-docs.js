// The API description page (/api/docs): Swagger UI from the vendored bundle, started here
// rather than in an inline script, which the Content-Security-Policy forbids.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // never send our API description to swagger.io's online validator
  });
});
