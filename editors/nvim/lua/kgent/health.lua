-- :checkhealth kgent (Neovim 0.7's health#report_* API, or vim.health).
local M = {}

local h = vim.health or {}
local start = h.start or h.report_start or vim.fn['health#report_start']
local ok = h.ok or h.report_ok or vim.fn['health#report_ok']
local warn = h.warn or h.report_warn or vim.fn['health#report_warn']
local error = h.error or h.report_error or vim.fn['health#report_error']

function M.check()
  local kgent = require('kgent')
  start('kgent server')
  local bin = kgent.config.cmd[1]
  if vim.fn.executable(bin) == 1 then
    ok(bin .. ': ' .. vim.trim(vim.fn.system({ bin, 'version' })))
    local info = vim.fn.system({ bin, 'kb', 'info' })
    if vim.v.shell_error == 0 then
      ok('kb: ' .. vim.split(info, '\n')[1])
    else
      warn('kb: ' .. info)
    end
  else
    error(bin .. ' not found: build it with `make build` and put bin/kgent on PATH')
  end
  start('kgent tools')
  for _, tool in ipairs({ 'clang', 'bpftool', 'bpftrace' }) do
    if vim.fn.executable(tool) == 1 then
      ok(tool .. ' found')
    else
      warn(tool .. ' not found: verification of ' .. (tool == 'bpftrace' and 'bpftrace scripts' or 'C') .. ' is unavailable (apt-get install ' .. tool .. ')')
    end
  end
  if vim.loop.getuid() == 0 then
    ok('running as root: programs can be loaded through the verifier')
  else
    warn('not root: verification through the kernel verifier needs root or CAP_BPF; static checks still work')
  end
end

return M
