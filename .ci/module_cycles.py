#!/usr/bin/env python3
# Run from the repository root: python3 .ci/module_cycles.py [-v]
"""Module dependency graph of src/ from `crate::` paths (tests excluded), and its cycles (SCCs)."""
import re, pathlib, sys
root = pathlib.Path('src')
mods = {}
for f in root.rglob('*.rs'):
    rel = f.relative_to(root).with_suffix('')
    parts = list(rel.parts)
    if parts[-1] == 'mod': parts = parts[:-1]
    if parts in (['lib'], ['main'], ['cli']): continue
    mods['::'.join(parts)] = f
def strip_tests(text):
    i = text.find('#[cfg(test)]\nmod tests')
    return text if i < 0 else text[:i]
edges = {m: set() for m in mods}
for m, f in mods.items():
    text = strip_tests(f.read_text())
    text = re.sub(r'//[^\n]*', '', text)
    # expand `use crate::{a, b::c}` groups roughly
    for path in re.findall(r'crate::((?:[a-z_0-9]+)(?:::[a-z_0-9]+)*)', text):
        segs = path.split('::')
        best = None
        for k in range(len(segs), 0, -1):
            cand = '::'.join(segs[:k])
            if cand in mods: best = cand; break
        if best and best != m and not m.startswith(best + '::') and not best.startswith(m + '::'):
            edges[m].add(best)
    for grp in re.findall(r'crate::\{([^;]*)\}', text, re.S):
        for item in re.split(r',\s*', grp):
            seg = item.strip().split('::')[0].strip('{} \n')
            if seg in mods and seg != m and not m.startswith(seg+'::'):
                edges[m].add(seg)
    # super:: references inside folder modules count as edges to the parent's siblings
    parent = '::'.join(m.split('::')[:-1])
    for path in re.findall(r'super::([a-z_0-9]+)', text):
        cand = (parent + '::' + path) if parent else path
        if cand in mods and cand != m: edges[m].add(cand)
# Tarjan
index = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in sorted(edges):
    if v not in index: sc(v)
if '-v' in sys.argv:
    for m in sorted(edges): print(f"{m} -> {', '.join(sorted(edges[m]))}")
print("cycles:" if sccs else "no module cycle")
for s in sccs:
    print("  ", " <-> ".join(s))
    for a in s:
        print("      ", a, "->", ", ".join(sorted(x for x in edges[a] if x in s)))
