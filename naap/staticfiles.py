"""The static files storage of production: WhiteNoise's compressed, content-hashed files, with
the import statements of ES modules rewritten to the hashed names too.

The shell runtime is several ES modules (static/naap/shell.js imports ./shell-context.js, …).
Without the rewrite, the hashed shell.js would import its parts by their plain names, which
are cached for a short time only and could come from another release than the file importing
them. Django's own rewriting of relative `import … from "./x.js"` does it
(docs/decisions.md, "The shell runtime's modules").
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedModulesStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Compressed, hashed static files whose relative ES module imports name hashed files."""

    support_js_module_import_aggregation = True
