// The part of `naap-plugin build` that runs in Node.js: esbuild's JavaScript API with the
// resolution rules of a NaaP monorepo, and Tailwind/PostCSS on the plugin's stylesheets.
//
// publishing/cli/esbuild.py writes a JSON request to a file and runs
//   node build-plugin.mjs REQUEST.json
// with the plugin's frontend folder as the working directory (Tailwind reads its `content`
// globs relative to it, as under vite). The answer is one JSON object on stdout:
//   {"ok": true, "imports": [...], "shellModules": [...], "warnings": [...]}
//   {"ok": false, "errors": [...], "warnings": [...]}
// Errors and warnings are esbuild's formatted messages (file:line:column, the source line).
//
// mode "scan": bundle nothing, list every npm package the plugin's code imports (bare
// specifiers that are neither shell modules nor local packages), with the file importing it
// and whether it already resolves, so the CLI knows what to install.
// mode "build": bundle to CommonJS with the shell modules left as require() calls; the CLI
// wraps the result in the UMD wrapper that hands them the shell's globals.

import { readFileSync, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
const toolsRequire = createRequire(path.join(request.toolsDir, "package.json"));
const esbuild = toolsRequire("esbuild");

const localPackages = request.localPackages || {};
const localNames = Object.keys(localPackages).sort((a, b) => b.length - a.length);
const shellModules = new Set(request.shellModules || []);
// Conditions of package.json "exports" that a browser bundle honours, as esbuild and vite do.
const CONDITIONS = new Set(["browser", "import", "module", "default", "production"]);

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Split "@scope/name/sub/path" into the package name and the subpath "./sub/path" or ".". */
function splitSpecifier(specifier) {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLength).join("/");
  const rest = parts.slice(nameLength).join("/");
  return { name, subpath: rest ? `./${rest}` : "." };
}

/** The target of one "exports" value under our conditions (strings, arrays, condition maps). */
function pickTarget(value) {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = pickTarget(item);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [condition, nested] of Object.entries(value)) {
      if (CONDITIONS.has(condition)) {
        const found = pickTarget(nested);
        if (found) return found;
      }
    }
  }
  return null;
}

/** What a package's "exports" field maps a subpath to, or null. */
function exportsTarget(exportsField, subpath) {
  if (exportsField === undefined || exportsField === null) return null;
  const isSubpathMap =
    typeof exportsField === "object" &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).some((key) => key.startsWith("."));
  const map = isSubpathMap ? exportsField : { ".": exportsField };
  if (subpath in map) return pickTarget(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      const middle = subpath.slice(prefix.length, subpath.length - suffix.length);
      const target = pickTarget(value);
      if (target) return target.split("*").join(middle);
    }
  }
  return null;
}

function readPackageJson(directory) {
  try {
    return JSON.parse(readFileSync(path.join(directory, "package.json"), "utf8"));
  } catch {
    return {};
  }
}

function isFile(file) {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Where a local (workspace) package import leads, most faithful first: the file its
 * package.json names ("exports", then "module"/"main" for the package itself) when that file
 * exists, else its sources as upstream's vite aliases read them (`src/<subpath>`, `src/index`),
 * else the path inside the package folder. A package whose package.json points at a `dist/`
 * nobody built yet (the SDK) is read from its sources.
 */
function localCandidates(directory, subpath) {
  const manifest = readPackageJson(directory);
  const candidates = [];
  const declared = exportsTarget(manifest.exports, subpath);
  if (declared) candidates.push({ file: path.resolve(directory, declared), exact: true });
  if (subpath === "." && manifest.exports === undefined) {
    for (const field of ["module", "main"]) {
      if (typeof manifest[field] === "string") {
        candidates.push({ file: path.resolve(directory, manifest[field]), exact: true });
      }
    }
  }
  const rest = subpath === "." ? "index" : subpath.slice(2);
  if (existsSync(path.join(directory, "src"))) {
    candidates.push({ file: "./" + path.posix.join("src", rest), exact: false });
  }
  candidates.push({ file: "./" + rest, exact: false });
  return candidates;
}

function localPackagesPlugin() {
  return {
    name: "naap-local-packages",
    setup(build) {
      if (!localNames.length) return;
      const pattern = new RegExp(`^(${localNames.map(escapeRegExp).join("|")})(/.*)?$`);
      build.onResolve({ filter: pattern }, async (args) => {
        const { name, subpath } = splitSpecifier(args.path);
        const directory = localPackages[name];
        if (!directory) return undefined;
        for (const candidate of localCandidates(directory, subpath)) {
          if (candidate.exact) {
            if (isFile(candidate.file)) return { path: candidate.file };
            continue;
          }
          const found = await build.resolve(candidate.file, {
            resolveDir: directory,
            kind: args.kind,
            pluginData: { naapInner: true },
          });
          if (!found.errors.length) return { path: found.path, external: found.external };
        }
        return {
          errors: [
            {
              text: `Could not resolve "${args.path}" in the local package ${name} (${directory}): neither its package.json nor its src/ folder has "${subpath}"`,
            },
          ],
        };
      });
    },
  };
}

function shellModulesPlugin() {
  return {
    name: "naap-shell-modules",
    setup(build) {
      if (!shellModules.size) return;
      const pattern = new RegExp(`^(${[...shellModules].map(escapeRegExp).join("|")})$`);
      build.onResolve({ filter: pattern }, (args) => ({ path: args.path, external: true }));
    },
  };
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function scanPlugin(found) {
  return {
    name: "naap-scan-imports",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData && args.pluginData.naapScan) return undefined;
        if (SCHEME.test(args.path) || path.isAbsolute(args.path)) return undefined;
        const resolved = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: { naapScan: true },
        });
        found.push({
          specifier: args.path,
          package: splitSpecifier(args.path).name,
          importer: args.importer,
          resolves: resolved.errors.length === 0,
        });
        return { path: args.path, external: true };
      });
    },
  };
}

function stylesPlugin() {
  const css = request.css || {};
  if (!css.tailwindConfig && !css.autoprefixer) return null;
  const postcss = toolsRequire("postcss");
  const plugins = [];
  if (css.tailwindConfig) plugins.push(toolsRequire("tailwindcss")({ config: css.tailwindConfig }));
  if (css.autoprefixer) plugins.push(toolsRequire("autoprefixer")());
  const processor = postcss(plugins);
  return {
    name: "naap-postcss",
    setup(build) {
      build.onLoad({ filter: /\.css$/ }, async (args) => {
        const source = readFileSync(args.path, "utf8");
        try {
          const result = await processor.process(source, { from: args.path, to: args.path });
          return {
            contents: result.css,
            loader: "css",
            resolveDir: path.dirname(args.path),
            warnings: result.warnings().map((warning) => ({
              text: `${warning.plugin ? warning.plugin + ": " : ""}${warning.text}`,
              location: warning.line
                ? { file: args.path, line: warning.line, column: (warning.column || 1) - 1 }
                : null,
            })),
          };
        } catch (error) {
          const location = error.line
            ? { file: args.path, line: error.line, column: (error.column || 1) - 1 }
            : { file: args.path };
          return { errors: [{ text: error.reason || error.message, location }] };
        }
      });
    },
  };
}

/** Whether a message points into one of the monorepo's packages (not the plugin's code). */
function inLocalPackage(message) {
  const file = message.location && message.location.file;
  if (!file) return false;
  const absolute = path.resolve(request.workingDir, file);
  return Object.values(localPackages).some(
    (directory) => absolute === directory || absolute.startsWith(directory + path.sep),
  );
}

async function formatWarnings(list) {
  // Warnings about the SDK's own files (its package.json, say) are not the plugin's to fix.
  return format((list || []).filter((message) => !inLocalPackage(message)), "warning");
}

async function format(list, kind) {
  if (!list || !list.length) return [];
  return esbuild.formatMessages(list, { kind, color: false, terminalWidth: 100 });
}

async function main() {
  const found = [];
  const scanning = request.mode === "scan";
  const plugins = [localPackagesPlugin(), shellModulesPlugin()];
  if (scanning) plugins.push(scanPlugin(found));
  else {
    const styles = stylesPlugin();
    if (styles) plugins.push(styles);
  }
  const loader = {};
  for (const extension of request.inlineExtensions || []) loader[extension] = "dataurl";
  const options = {
    entryPoints: [request.entry],
    absWorkingDir: request.workingDir,
    bundle: true,
    write: !scanning,
    outfile: request.outfile,
    format: "cjs",
    platform: "browser",
    target: request.target,
    jsx: "automatic",
    minify: !scanning,
    define: request.define || {},
    nodePaths: request.nodePaths || [],
    loader,
    sourcemap: request.sourcemap ? "external" : false,
    metafile: true,
    logLevel: "silent",
    plugins,
  };
  let result;
  try {
    result = await esbuild.build(options);
  } catch (failure) {
    const answer = {
      ok: false,
      errors: await format(failure.errors, "error"),
      warnings: await formatWarnings(failure.warnings),
    };
    if (!failure.errors) answer.errors = [String(failure && failure.stack ? failure.stack : failure)];
    return answer;
  }
  const used = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const item of output.imports || []) {
      if (item.external && shellModules.has(item.path)) used.add(item.path);
    }
  }
  return {
    ok: true,
    imports: found,
    shellModules: [...used],
    warnings: await formatWarnings(result.warnings),
  };
}

main().then(
  (answer) => {
    process.stdout.write(JSON.stringify(answer) + "\n");
  },
  (failure) => {
    process.stdout.write(
      JSON.stringify({ ok: false, errors: [String(failure && failure.stack ? failure.stack : failure)], warnings: [] }) + "\n",
    );
  },
);
