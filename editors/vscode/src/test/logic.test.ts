import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as logic from "../logic";

test("server path: setting first, then PATH", () => {
  const exists = (p: string) => p === "/opt/kgent/bin/kgent" || p === "/usr/local/bin/kgent";
  assert.equal(logic.resolveServerPath("/opt/kgent/bin/kgent", "/usr/bin", exists), "/opt/kgent/bin/kgent");
  assert.equal(logic.resolveServerPath("", "/usr/bin:/usr/local/bin", exists), "/usr/local/bin/kgent");
  assert.equal(logic.resolveServerPath("/missing/kgent", "/usr/local/bin", exists), undefined);
  assert.equal(logic.resolveServerPath(undefined, "/usr/bin", exists), undefined);
  assert.match(logic.missingServerMessage(""), /not on PATH.*Install steps/);
  assert.match(logic.missingServerMessage("/x/kgent"), /kgent.serverPath/);
});

test("initialization options carry settings, never the key", () => {
  const opts = logic.initializationOptions({
    serverPath: "/x", kbDir: "/kb", targetBTF: "", verifyOnSave: false, includePaths: ["/inc"], bpftraceVersion: "0.23",
    llm: { provider: "openai", baseURL: "http://localhost:8080/v1", model: "m" },
  });
  assert.deepEqual(opts, { kgent: { kbDir: "/kb", bpftraceVersion: "0.23", verifyOnSave: false, includePaths: ["/inc"], llm: { provider: "openai", baseURL: "http://localhost:8080/v1", model: "m" } } });
  assert.ok(!JSON.stringify(opts).includes("apiKey"));
});

test("the API key goes to the server's environment only", () => {
  const env = logic.serverEnv({ PATH: "/bin" }, "sk-secret", { llm: { baseURL: "http://h/v1", model: "m" } });
  assert.equal(env.OPENAI_API_KEY, "sk-secret");
  assert.equal(env.KGENT_LLM_BASE_URL, "http://h/v1");
  assert.equal(env.KGENT_LLM_MODEL, "m");
  assert.equal(logic.serverEnv({}, undefined, {}).OPENAI_API_KEY, undefined);
});

test("a key from VS Code's environment stays bound to that environment's endpoint", () => {
  // No stored key: the user's llm.baseURL is not made the environment's
  // endpoint, so the server does not send OPENAI_API_KEY there.
  const env = logic.serverEnv({ OPENAI_API_KEY: "sk-env" }, undefined, { llm: { baseURL: "http://elsewhere/v1" } });
  assert.equal(env.KGENT_LLM_BASE_URL, undefined);
  assert.equal(env.OPENAI_API_KEY, "sk-env");
  const kept = logic.serverEnv({ OPENAI_API_KEY: "sk-env", KGENT_LLM_BASE_URL: "http://mine/v1" }, undefined, { llm: { baseURL: "http://elsewhere/v1" } });
  assert.equal(kept.KGENT_LLM_BASE_URL, "http://mine/v1");
});

test("binaries and the endpoint are machine-scoped and read from user settings only", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const props = pkg.contributes.configuration.properties;
  for (const key of logic.machineScoped) {
    assert.equal(props["kgent." + key]?.scope, "machine", `kgent.${key} is not machine-scoped`);
  }
  // Every setting naming a binary or an endpoint is in the list.
  for (const [key, p] of Object.entries<{ description: string }>(props)) {
    if (/binary|endpoint|clang used|bpftrace used/i.test(p.description)) {
      assert.ok((logic.machineScoped as readonly string[]).includes(key.replace(/^kgent\./, "")), `${key} chooses a binary or endpoint`);
    }
  }
  assert.equal(logic.userLevel({ defaultValue: "", globalValue: "/usr/bin/clang", workspaceValue: "./evil-clang" }), "/usr/bin/clang");
  assert.equal(logic.userLevel({ defaultValue: "", workspaceValue: "http://attacker/v1", workspaceFolderValue: "http://attacker/v1" }), "");
  assert.equal(logic.userLevel(undefined), undefined);
});

test("intent comments get a CodeLens, other comments do not", () => {
  const text = [
    "// SPDX-License-Identifier: GPL-2.0",
    "// trace tcp connects and show pid and comm",
    "// with both IPv4 and IPv6 addresses",
    "#include <linux/sched.h>",
    "// x",
    "// 统计每个进程打开的文件",
  ].join("\n");
  assert.deepEqual(logic.intentCommentLines(text, "bpftrace"), [1, 5]);
  assert.deepEqual(logic.intentCommentLines("# count syscalls per process\n#!/bin/x", "bpftrace"), [0]);
});

test("status text", () => {
  assert.equal(logic.statusText({}), "kgent");
  assert.equal(logic.statusText({ kernel: "6.18.44", counts: { helpers: 211, tracepoints: 2323 } }), "kgent 6.18.44 · 211 helpers, 2323 tracepoints");
  assert.equal(logic.statusText({ kernel: "6.1", reference: true, verification: "running" }), "kgent 6.1 (reference) · running");
});
