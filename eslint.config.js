// ESLint for the page's modules and the service worker (make lint).
import js from "@eslint/js";
import globals from "globals";

// The service worker is a Django template: its {% %} tags and {{ }} values
// are blanked (same length, so lines and columns stay right) before parsing.
const djangoTemplate = {
  preprocess: (text) => [
    text
      .replace(/\{%.*?%\}/g, (tag) => " ".repeat(tag.length))
      .replace(/\{\{.*?\}\}/g, (value) => "0".padEnd(value.length)),
  ],
  postprocess: (messages) => messages.flat(),
};

export default [
  {
    ignores: ["**/vendor/**", "**/node_modules/**", "staticfiles/**", "site/**", ".venv/**"],
  },
  js.configs.recommended,
  {
    files: ["frontend/static/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser, htmx: "readonly" } },
  },
  {
    files: ["frontend/templates/frontend/service-worker.js"],
    processor: djangoTemplate,
    languageOptions: { sourceType: "script", globals: globals.serviceworker },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
