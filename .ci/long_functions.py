#!/usr/bin/env python3
# Run from the repository root: python3 .ci/long_functions.py [LIMIT] [DIR]
"""Lists Rust functions longer than N lines (brace matching on lines starting a fn item)."""
import re, sys, pathlib
limit = int(sys.argv[1]) if len(sys.argv) > 1 else 80
root = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else 'src')
pat = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')
out = []
for f in sorted(root.rglob('*.rs')):
    lines = f.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = pat.match(lines[i])
        if m:
            depth = 0; started = False; j = i
            while j < len(lines):
                s = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
                s = re.sub(r"'(\\.|[^'\\])'", "''", s)
                s = s.split('//')[0]
                depth += s.count('{') - s.count('}')
                if '{' in s: started = True
                if started and depth <= 0: break
                if not started and s.rstrip().endswith(';'): break
                j += 1
            n = j - i + 1
            if n > limit: out.append((n, f"{f}:{i+1}", m.group(6)))
        i += 1
for n, loc, name in sorted(out, reverse=True): print(f"{n:5} {loc} {name}")
