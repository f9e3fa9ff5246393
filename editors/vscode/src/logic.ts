// The extension's own logic, free of the vscode module so it can be unit
// tested with node's test runner. All eBPF behaviour lives in the server.
import * as fs from "fs";
import * as path from "path";

export interface Settings {
  serverPath?: string;
  kbDir?: string;
  targetBTF?: string;
  verifyOnSave?: boolean;
  clangPath?: string;
  bpftracePath?: string;
  bpftraceVersion?: string;
  includePaths?: string[];
  llm?: { provider?: string; baseURL?: string; model?: string };
}

/**
 * Settings that choose a binary kgent runs (as root, on save) or where the
 * API key is sent. They are "machine" scoped in package.json, so VS Code
 * ignores them in workspace and folder settings; the extension reads them
 * from the user's settings only as well.
 */
export const machineScoped = ["serverPath", "clangPath", "bpftracePath", "llm.baseURL"] as const;

/** What configuration.inspect answers for a setting. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** A machine-scoped setting's value: the user's own, else the default; never a workspace's. */
export function userLevel<T>(i: Inspected<T> | undefined): T | undefined {
  if (!i) {
    return undefined;
  }
  return i.globalValue !== undefined ? i.globalValue : i.defaultValue;
}

export const installURL = "https://github.com/kgent/kgent#quickstart-debian-12-as-root";

/** Finds the server: the setting first, then kgent on PATH. */
export function resolveServerPath(setting: string | undefined, envPath: string | undefined,
  exists: (p: string) => boolean = isExecutable): string | undefined {
  if (setting && setting.trim() !== "") {
    return exists(setting) ? setting : undefined;
  }
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const candidate = path.join(dir, "kgent");
    if (exists(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The message shown when the server cannot be found. */
export function missingServerMessage(setting: string | undefined): string {
  if (setting && setting.trim() !== "") {
    return `kgent: the server ${setting} (setting kgent.serverPath) does not exist or is not executable. Install steps: ${installURL}`;
  }
  return `kgent: the kgent binary is not on PATH; set kgent.serverPath or install it. Install steps: ${installURL}`;
}

/** Settings as the server reads them (section "kgent"); no API key. */
export function initializationOptions(s: Settings): { kgent: Settings } {
  const out: Settings = {};
  for (const key of ["kbDir", "targetBTF", "clangPath", "bpftracePath", "bpftraceVersion"] as const) {
    const v = s[key];
    if (typeof v === "string" && v !== "") {
      out[key] = v;
    }
  }
  if (typeof s.verifyOnSave === "boolean") {
    out.verifyOnSave = s.verifyOnSave;
  }
  if (s.includePaths && s.includePaths.length > 0) {
    out.includePaths = [...s.includePaths];
  }
  if (s.llm) {
    out.llm = { ...s.llm };
  }
  return { kgent: out };
}

/**
 * The server's environment: the API key from secret storage, never from
 * settings. The server sends the environment's key only to the
 * environment's endpoint, so the user's llm.baseURL becomes
 * KGENT_LLM_BASE_URL only with the key stored for it (kgent: Set API key);
 * without one, a key inherited from VS Code's environment stays bound to
 * that environment's endpoint and the server does not send it elsewhere.
 */
export function serverEnv(base: NodeJS.ProcessEnv, apiKey: string | undefined, s: Settings): NodeJS.ProcessEnv {
  const env = { ...base };
  if (apiKey) {
    env.OPENAI_API_KEY = apiKey;
    if (s.llm?.baseURL) {
      env.KGENT_LLM_BASE_URL = s.llm.baseURL;
    }
  }
  if (s.llm?.model) {
    env.KGENT_LLM_MODEL = s.llm.model;
  }
  return env;
}

/** Lines of a document that start an intent comment (for CodeLens). */
export function intentCommentLines(text: string, language: string): number[] {
  const lines = text.split("\n");
  const out: number[] = [];
  let inBlock = false;
  lines.forEach((raw, i) => {
    const t = raw.trim();
    let body: string | undefined;
    if (t.startsWith("//")) {
      body = t.slice(2).trim();
    } else if (language === "bpftrace" && t.startsWith("#") && !t.startsWith("#!") && !/^#\s*(include|define)\b/.test(t)) {
      body = t.slice(1).trim();
    }
    if (body === undefined) {
      inBlock = false;
      return;
    }
    const words = body.split(/\s+/).filter((w) => w !== "");
    const cjk = /[\u4e00-\u9fff]/.test(body);
    if (!inBlock && (words.length >= 3 || (cjk && body.length >= 4)) && !/SPDX|copyright|license/i.test(body)) {
      out.push(i);
      inBlock = true; // the rest of this comment block is the same intent
    }
  });
  return out;
}

export interface Status {
  kernel?: string;
  source?: string;
  reference?: boolean;
  counts?: Record<string, number>;
  verification?: string;
}

/** The status-bar text for a kgent/status notification. */
export function statusText(s: Status): string {
  let text = "kgent";
  if (s.kernel) {
    text += ` ${s.kernel}`;
    if (s.reference) {
      text += " (reference)";
    }
  }
  if (s.counts && typeof s.counts.helpers === "number") {
    text += ` · ${s.counts.helpers} helpers, ${s.counts.tracepoints ?? 0} tracepoints`;
  }
  if (s.verification && s.verification !== "idle") {
    text += ` · ${s.verification}`;
  }
  return text;
}
