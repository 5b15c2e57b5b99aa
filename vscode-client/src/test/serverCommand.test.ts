import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { buildServerCommand, explainStartFailure } from "../serverCommand";

const scratch = mkdtempSync(path.join(tmpdir(), "dbsense-cmd-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A `dbsense` package whose `__main__` prints which copy ran and its arguments. */
function fakeDbsense(root: string, label: string): void {
  mkdirSync(path.join(root, "dbsense"), { recursive: true });
  writeFileSync(path.join(root, "dbsense", "__init__.py"), "");
  writeFileSync(
    path.join(root, "dbsense", "__main__.py"),
    `import sys\nprint(${JSON.stringify(label)}, *sys.argv[1:])\n`,
  );
}

describe("buildServerCommand", () => {
  it("runs the bundled copy, not one from the workspace or PYTHONPATH", () => {
    const extension = path.join(scratch, "extension");
    const workspace = path.join(scratch, "workspace");
    const elsewhere = path.join(scratch, "elsewhere");
    fakeDbsense(path.join(extension, "bundled", "libs"), "bundled");
    fakeDbsense(workspace, "workspace");
    fakeDbsense(elsewhere, "elsewhere");
    const server = buildServerCommand({
      interpreter: ["python3"],
      version: [3, 11, 0],
      importStrategy: "useBundled",
      extensionPath: extension,
      baseEnv: { ...process.env, PYTHONPATH: elsewhere },
    });
    assert.deepEqual(server.args, ["-P", "-m", "dbsense", "serve", "--stdio"]);
    assert.equal(server.options.cwd, extension);
    assert.equal(server.options.env.PYTHONPATH, path.join(extension, "bundled", "libs"));
    const output = execFileSync(server.command, server.args, {
      ...server.options,
      encoding: "utf8",
    });
    assert.equal(output.trim(), "bundled serve --stdio");
  });

  it("uses the environment's dbsense with fromEnvironment", () => {
    const extension = path.join(scratch, "extension2");
    const site = path.join(scratch, "site");
    mkdirSync(extension, { recursive: true });
    fakeDbsense(site, "environment");
    const server = buildServerCommand({
      interpreter: ["python3", "-X", "utf8"],
      version: [3, 10, 13],
      importStrategy: "fromEnvironment",
      extensionPath: extension,
      baseEnv: { ...process.env, PYTHONPATH: site },
    });
    assert.deepEqual(server.args, ["-X", "utf8", "-m", "dbsense", "serve", "--stdio"]);
    assert.equal(server.options.env.PYTHONPATH, site);
    const output = execFileSync(server.command, server.args, {
      ...server.options,
      encoding: "utf8",
    });
    assert.equal(output.trim(), "environment serve --stdio");
  });

  it("rejects an empty interpreter", () => {
    assert.throws(() =>
      buildServerCommand({
        interpreter: [],
        version: [3, 11, 0],
        importStrategy: "useBundled",
        extensionPath: scratch,
        baseEnv: {},
      }),
    );
  });
});

describe("explainStartFailure", () => {
  const extension = path.join(scratch, "broken-extension");
  const libs = path.join(extension, "bundled", "libs", "dbsense");
  mkdirSync(libs, { recursive: true });
  writeFileSync(path.join(libs, "__init__.py"), "");
  writeFileSync(path.join(libs, "__main__.py"), "import pygls_is_not_here\n");
  const server = () =>
    buildServerCommand({
      interpreter: ["python3"],
      version: [3, 11, 0],
      importStrategy: "useBundled",
      extensionPath: extension,
      baseEnv: process.env,
    });

  it("returns the last line of the error output", async () => {
    assert.equal(
      await explainStartFailure(server()),
      "ModuleNotFoundError: No module named 'pygls_is_not_here'",
    );
  });

  it("names a missing interpreter", async () => {
    const missing = { ...server(), command: path.join(scratch, "no-python") };
    assert.equal(await explainStartFailure(missing), `${missing.command}: ENOENT`);
  });

  it("returns undefined when the server exits quietly", async () => {
    writeFileSync(path.join(libs, "__main__.py"), "import sys\nsys.stdin.read()\n");
    assert.equal(await explainStartFailure(server()), undefined);
  });
});
