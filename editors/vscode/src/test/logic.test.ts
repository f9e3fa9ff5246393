import { test } from "node:test";
import * as assert from "node:assert/strict";
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
    serverPath: "/x", kbDir: "/kb", targetBTF: "", verifyOnSave: false, includePaths: ["/inc"],
    llm: { provider: "openai", baseURL: "http://localhost:8080/v1", model: "m" },
  });
  assert.deepEqual(opts, { kgent: { kbDir: "/kb", verifyOnSave: false, includePaths: ["/inc"], llm: { provider: "openai", baseURL: "http://localhost:8080/v1", model: "m" } } });
  assert.ok(!JSON.stringify(opts).includes("apiKey"));
});

test("the API key goes to the server's environment only", () => {
  const env = logic.serverEnv({ PATH: "/bin" }, "sk-secret", { llm: { baseURL: "http://h/v1", model: "m" } });
  assert.equal(env.OPENAI_API_KEY, "sk-secret");
  assert.equal(env.KGENT_LLM_BASE_URL, "http://h/v1");
  assert.equal(env.KGENT_LLM_MODEL, "m");
  assert.equal(logic.serverEnv({}, undefined, {}).OPENAI_API_KEY, undefined);
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
