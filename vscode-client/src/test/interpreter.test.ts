import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import {
  chooseInterpreter,
  interpreterProblem,
  parseVersion,
  probeInterpreter,
  versionAtLeast,
} from "../interpreter";

const scratch = mkdtempSync(path.join(tmpdir(), "dbsense-interp-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** An executable that answers the probe like a Python of `version` would. */
function fakePython(name: string, version: string, hasDbsense = false): string {
  const file = path.join(scratch, name);
  writeFileSync(
    file,
    `#!/bin/sh\necho ${version}\necho ${file}\necho ${hasDbsense ? "True" : "False"}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

describe("chooseInterpreter", () => {
  it("prefers the setting", () => {
    assert.deepEqual(chooseInterpreter(["/opt/py/bin/python", "-X", "utf8"], ["/env/python"]), {
      command: ["/opt/py/bin/python", "-X", "utf8"],
      source: "setting",
    });
  });

  it("uses the Python extension's environment when the setting is empty", () => {
    assert.deepEqual(chooseInterpreter([], ["/env/bin/python"]), {
      command: ["/env/bin/python"],
      source: "python-extension",
    });
  });

  it("falls back to python3 without either", () => {
    assert.deepEqual(chooseInterpreter([], undefined), {
      command: ["python3"],
      source: "fallback",
    });
    assert.deepEqual(chooseInterpreter([], []), { command: ["python3"], source: "fallback" });
  });
});

describe("versions", () => {
  it("parses and compares", () => {
    assert.deepEqual(parseVersion("3.11.7\n"), [3, 11, 7]);
    assert.equal(parseVersion("Python 3.11"), undefined);
    assert.equal(versionAtLeast([3, 10, 0], [3, 10, 0]), true);
    assert.equal(versionAtLeast([3, 9, 18], [3, 10, 0]), false);
    assert.equal(versionAtLeast([4, 0, 0], [3, 10, 0]), true);
  });
});

describe("probeInterpreter", () => {
  it("reports a missing interpreter", async () => {
    const choice = chooseInterpreter([path.join(scratch, "no-such-python")], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch });
    assert.equal(probe.kind, "not-found");
    const problem = interpreterProblem(choice, probe, "useBundled");
    assert.match(
      problem ?? "",
      /could not run the Python interpreter .*no-such-python.* from `dbsense.interpreter`/,
    );
    assert.match(problem ?? "", /Set `dbsense.interpreter` to a Python 3.10 or newer/);
  });

  it("reports a file that is not executable", async () => {
    const file = path.join(scratch, "not-executable");
    writeFileSync(file, "");
    const probe = await probeInterpreter([file], { cwd: scratch });
    assert.equal(probe.kind, "not-found");
  });

  it("rejects Python 3.8 with the version in the message", async () => {
    const choice = chooseInterpreter([fakePython("python3.8", "3.8.18")], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch });
    assert.equal(probe.kind, "ok");
    assert.match(
      interpreterProblem(choice, probe, "useBundled") ?? "",
      /needs Python 3.10 or newer, but .* is Python 3\.8\.18/,
    );
  });

  it("reports an interpreter that fails", async () => {
    const file = path.join(scratch, "broken-python");
    writeFileSync(file, "#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n");
    chmodSync(file, 0o755);
    const choice = chooseInterpreter([file], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch });
    assert.equal(probe.kind, "failed");
    assert.match(
      interpreterProblem(choice, probe, "useBundled") ?? "",
      /Fatal Python error: init_fs_encoding/,
    );
  });

  it("requires dbsense in the environment only for fromEnvironment", async () => {
    const choice = chooseInterpreter([fakePython("python3.12", "3.12.1")], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch });
    assert.equal(interpreterProblem(choice, probe, "useBundled"), undefined);
    assert.match(
      interpreterProblem(choice, probe, "fromEnvironment") ?? "",
      /dbsense is not installed for/,
    );
    const withDbsense = chooseInterpreter(
      [fakePython("python-with-dbsense", "3.12.1", true)],
      undefined,
    );
    const probe2 = await probeInterpreter(withDbsense.command, { cwd: scratch });
    assert.equal(interpreterProblem(withDbsense, probe2, "fromEnvironment"), undefined);
  });

  it("runs a real python3 from PATH", async () => {
    const choice = chooseInterpreter([], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch, env: process.env });
    assert.equal(probe.kind, "ok", JSON.stringify(probe));
    if (probe.kind === "ok") {
      assert.ok(
        versionAtLeast(probe.version, [3, 10, 0]),
        `python3 on PATH is ${probe.version.join(".")}`,
      );
      assert.ok(path.isAbsolute(probe.executable));
    }
  });

  it("says python3 is missing from PATH in the fallback case", async () => {
    const choice = chooseInterpreter([], undefined);
    const probe = await probeInterpreter(choice.command, { cwd: scratch, env: { PATH: scratch } });
    assert.equal(probe.kind, "not-found");
    assert.match(
      interpreterProblem(choice, probe, "useBundled") ?? "",
      /could not find `python3` on PATH/,
    );
  });
});
