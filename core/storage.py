"""Static files in production: WhiteNoise's hashed, compressed files, with
the page's ES modules rewritten to import each other by their hashed names
(Django does that only when asked). Without it a hashed module, cached for
good, would import `./socket.js` by its plain name, which after the next
deploy serves a module it was not written against."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleAwareStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
