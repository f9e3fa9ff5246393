-- Headless end-to-end test against the real server:
--   KGENT_BIN=... KGENT_TMP=... nvim --headless -u NONE -c 'luafile test/e2e.lua'
-- Exits 0 with "kgent nvim e2e: PASS", or 1 with the failure.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.runtimepath:prepend(here)
vim.cmd('filetype on')
vim.g.kgent_config = { cmd = { os.getenv('KGENT_BIN'), 'lsp' }, settings = { kgent = { verifyOnSave = false } } }
vim.cmd('runtime plugin/kgent.lua')
vim.cmd('runtime ftdetect/bpftrace.vim')

local tmp = os.getenv('KGENT_TMP')
local function fail(msg)
  io.stderr:write('kgent nvim e2e: FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local function diags(buf, code)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code then
      table.insert(out, d)
    end
  end
  return out
end

local function write(name, text)
  local path = tmp .. '/' .. name
  local f = io.open(path, 'w')
  f:write(text)
  f:close()
  return path
end

local function quickfix(buf, d)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = {} },
  }
  local res = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000) or {}
  for _, r in pairs(res) do
    for _, a in ipairs(r.result or {}) do
      if a.edit then
        vim.lsp.util.apply_workspace_edit(a.edit, 'utf-16')
        return a.title
      end
    end
  end
  return nil
end

local function check_fix(name, text, code, want_line, want_fix)
  vim.cmd('edit ' .. write(name, text))
  local buf = vim.api.nvim_get_current_buf()
  if not vim.wait(30000, function() return #diags(buf, code) > 0 end, 50) then
    fail(name .. ': no ' .. code .. ' diagnostic arrived')
  end
  local d = diags(buf, code)[1]
  if d.lnum ~= want_line then
    fail(name .. ': ' .. code .. ' on line ' .. d.lnum .. ', want ' .. want_line)
  end
  local title = quickfix(buf, d)
  if not title then
    fail(name .. ': no quick fix')
  end
  local line = vim.api.nvim_buf_get_lines(buf, want_line, want_line + 1, false)[1]
  if not line:find(want_fix, 1, true) then
    fail(name .. ': the fix did not change the buffer: ' .. line)
  end
  if not vim.wait(30000, function() return #diags(buf, code) == 0 end, 50) then
    fail(name .. ': the diagnostic did not go away after the fix')
  end
  print(name .. ': ' .. code .. ' on line ' .. want_line .. ', fixed with "' .. title .. '"')
end

check_fix('demo.bt', 'tracepoint:block:block_rq_issue\n{\n  @sizes = log2(args->bytes);\n}\n', 'KG201', 2, 'hist(')
check_fix('demo.bpf.c', '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n\nSEC("tp/sched/sched_switch")\nint f(void *ctx)\n{\n\treturn bpf_get_current_pid() > 0;\n}\n\nchar LICENSE[] SEC("license") = "GPL";\n', 'KG201', 6, 'bpf_get_current_pid_tgid')

-- :KgentGenerate on an intent comment inserts a program below it.
vim.cmd('edit ' .. write('gen.bt', '// count context switches per task\n'))
local buf = vim.api.nvim_get_current_buf()
if not vim.wait(30000, function() return #vim.lsp.buf_get_clients(buf) > 0 end, 50) then
  fail('gen.bt: the server did not attach')
end
vim.api.nvim_win_set_cursor(0, { 1, 0 })
vim.cmd('KgentGenerate')
if not vim.wait(30000, function()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'):find('sched_switch', 1, true) ~= nil
end, 50) then
  fail('gen.bt: no program was inserted')
end
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
if lines[1] ~= '// count context switches per task' then
  fail('gen.bt: the comment was changed: ' .. lines[1])
end
print('gen.bt: :KgentGenerate inserted ' .. (#lines - 1) .. ' lines below the comment')
io.stdout:write('kgent nvim e2e: PASS\n')
vim.cmd('qa!')
