-- Headless end-to-end test of verification on the targets' own kernels:
--   KGENT_BIN=... KGENT_TMP=... nvim --headless -u NONE -c 'luafile test/targets.lua'
-- With targets debian-5.10 and debian-6.1 and verification on save, the
-- server boots both kernels in microVMs (with progress); saving a program
-- that calls bpf_loop (5.17 and later) shows that 5.10's verifier rejected
-- it on its line, and nothing says 6.1's did. Exits 0 with
-- "kgent nvim targets: PASS", or 1 with the failure.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.runtimepath:prepend(here)
vim.cmd('filetype on')
vim.g.kgent_config = {
  cmd = { os.getenv('KGENT_BIN'), 'lsp' },
  settings = { kgent = { verifyOnSave = true, targets = { 'debian-5.10', 'debian-6.1' } } },
}
vim.cmd('runtime plugin/kgent.lua')

local function fail(msg)
  io.stderr:write('kgent nvim targets: FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

-- Every $/progress value the server sends, in order (Neovim's own
-- handler still runs).
local progress = {}
local default_progress = vim.lsp.handlers['$/progress']
vim.lsp.handlers['$/progress'] = function(err, result, ctx, config)
  if result and result.value then
    table.insert(progress, (result.value.kind or '') .. ': ' .. (result.value.title or '') .. ' ' .. (result.value.message or ''))
  end
  if default_progress then
    return default_progress(err, result, ctx, config)
  end
end
local function progressed(text)
  for _, p in ipairs(progress) do
    if p:find(text, 1, true) then
      return true
    end
  end
  return false
end

local path = os.getenv('KGENT_TMP') .. '/loop.bpf.c'
local f = io.open(path, 'w')
f:write(table.concat({
  '#include "vmlinux.h"',
  '#include <bpf/bpf_helpers.h>',
  'char LICENSE[] SEC("license") = "GPL";',
  'static long cb(u32 i, void *ctx) { return 0; }',
  'SEC("tracepoint/syscalls/sys_enter_openat")',
  'int p(void *ctx) { bpf_loop(4, cb, 0, 0); return 0; }',
  '',
}, '\n'))
f:close()
vim.cmd('edit ' .. path)
local buf = vim.api.nvim_get_current_buf()

-- Before any save, the boots started from the settings and say so.
if not vim.wait(180000, function() return progressed('debian-5.10 ready') and progressed('debian-6.1 ready') end, 100) then
  fail('the targets\' microVMs did not report ready; progress: ' .. table.concat(progress, ' | '))
end
if not progressed('booting debian-5.10') or not progressed('booting debian-6.1') then
  fail('no progress while booting: ' .. table.concat(progress, ' | '))
end
print('progress: ' .. table.concat(progress, ' | '))

local function rejected()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.message:find('rejected by the verifier of 5.10', 1, true) and d.message:find('(on debian-5.10)', 1, true) then
      return d
    end
  end
  return nil
end

vim.cmd('write')
if not vim.wait(180000, function() return rejected() ~= nil end, 100) then
  local msgs = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(msgs, d.lnum .. ': ' .. d.message)
  end
  fail('no diagnostic says 5.10\'s verifier rejected the program after the save: ' .. table.concat(msgs, ' | '))
end
local d = rejected()
if d.lnum ~= 5 then
  fail('the rejection is on line ' .. d.lnum .. ', want 5 (the bpf_loop call)')
end
for _, o in ipairs(vim.diagnostic.get(buf)) do
  if o.message:find('verifier of 6.1', 1, true) or o.message:find('(on debian-6.1)', 1, true) then
    fail('a diagnostic says 6.1 rejected bpf_loop: ' .. o.message)
  end
end
print('line ' .. d.lnum .. ': ' .. d.message:gsub('\n', ' / '))
io.stdout:write('kgent nvim targets: PASS\n')
vim.cmd('qa!')
