" bpftrace scripts: *.bt, or any file whose shebang runs bpftrace.
autocmd BufRead,BufNewFile *.bt setfiletype bpftrace
autocmd BufRead,BufNewFile * if getline(1) =~# '^#!.*\<bpftrace\>' | setfiletype bpftrace | endif
