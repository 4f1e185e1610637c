#!/usr/bin/env python3
"""check-layers.py - the include rule of docs/architecture.md ("Layers"), checked.

Every file under src/ belongs to one layer (LAYERS below, lowest first; the first pattern that
matches a path wins). A file may include headers of its own layer and of lower ones only; an
include of a higher layer's header is an "upward include" and fails the check (exit status 1,
one line per offence). Only project headers count (#include "..."); system headers are ignored.

KNOWN lists the upward includes that remain, each with its reason; the list may only shrink: a
listed include that is gone fails the check too, so that it is taken off the list.

  tests/check-layers.py              check src/ of this tree
  tests/check-layers.py --root DIR   check DIR/src instead (the self-test injects a bad include)
  tests/check-layers.py --stats      also print the include graph's figures: include edges,
                                     upward includes, and include cycles between modules (a .c
                                     and its .h are one module), folders and layers
"""
import argparse
import fnmatch
import os
import re
import sys

# Lowest first. Patterns are matched against the path relative to the tree root.
LAYERS = [
    ("util", ["src/util/*"]),
    # The keyspace and the values it stores: an entry (object.h) holds a value, and freeing or
    # copying a value dispatches through types.h to the value's own module.
    ("data", ["src/keyspace/*", "src/types/stream.*", "src/types/listpack.*", "src/types/intset.*", "src/types/quicklist.*",
              "src/types/zbtree.*", "src/types/lzf.*", "src/types/types.*", "src/types/coll_entry.*",
              "src/types/t_hash.h", "src/types/t_list.h", "src/types/t_set.h", "src/types/t_zset.h"]),
    # The server's shared state, the RESP codec, the event loop, clients and dispatch.
    ("server", ["src/server.h", "src/protocol/*", "src/core/*"]),
    # Snapshots: the RDB format over the keyspace and the values, and its server state.
    ("persist", ["src/persist/*"]),
    # Replication: the primary's backlog and replicas' links, the replica's link (src/repl/).
    ("repl", ["src/repl/*"]),
    # Redis Cluster: the node table, the bus, routing and the CLUSTER command.
    ("cluster", ["src/cluster/*"]),
    # Command implementations: the commands folder, the type commands and scripting.
    ("commands", ["src/commands/*", "src/types/*", "src/scripting/*"]),
    # Start-up: wires the layers together (installs the keyspace hooks).
    ("entry", ["src/server.c", "src/main.c", "src/keyspace_events.*"]),
]

# Upward includes still to remove, each with its reason (none left: the command table's rework
# replaced core/'s procedure comparisons with row flags, issue #11 part 2).
KNOWN = set()

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    for rank, (name, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return rank, name
    return None


def source_files(root):
    out = []
    for d, _, files in os.walk(os.path.join(root, "src")):
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def includes(root, path):
    """(line number, header path relative to the root) for each project include of path."""
    found = []
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if m:
                target = os.path.join("src", m.group(1))
                if os.path.exists(os.path.join(root, target)):
                    found.append((n, target))
    return found


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, comps, counter = {}, {}, set(), [], [], [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return comps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--stats", action="store_true")
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    files = source_files(root)
    if not files:
        print(f"check-layers: no sources under {root}/src")
        return 1
    upward, unplaced, known_seen, nedges = [], [], set(), 0
    module_edges, folder_edges, layer_edges = {}, {}, {}
    for path in files:
        here = layer_of(path)
        if here is None:
            unplaced.append(path)
            continue
        mod = os.path.splitext(path)[0]
        for line, target in includes(root, path):
            nedges += 1
            there = layer_of(target)
            if there is None:
                continue
            if there[0] > here[0]:
                if (path, target) in KNOWN:
                    known_seen.add((path, target))
                else:
                    upward.append(f"{path}:{line}: includes {target} ({here[1]} -> {there[1]})")
            tmod = os.path.splitext(target)[0]
            if tmod != mod:
                module_edges.setdefault(mod, set()).add(tmod)
            if os.path.dirname(target) != os.path.dirname(path):
                folder_edges.setdefault(os.path.dirname(path), set()).add(os.path.dirname(target))
            if there[1] != here[1]:
                layer_edges.setdefault(here[1], set()).add(there[1])

    stale = sorted(KNOWN - known_seen)
    for path, target in stale:
        print(f"{path}: no longer includes {target}: take it off KNOWN in tests/check-layers.py")
    for p in unplaced:
        print(f"{p}: in no layer (add it to LAYERS in tests/check-layers.py)")
    for u in upward:
        print(u)
    if args.stats:
        modules = sorted({os.path.splitext(p)[0] for p in files})
        mcycles = cycles(modules, module_edges)
        fcycles = cycles(sorted({os.path.dirname(p) for p in files}), folder_edges)
        lcycles = cycles([name for name, _ in LAYERS], layer_edges)
        print(f"files: {len(files)}, include edges: {nedges}, "
              f"upward includes: {len(upward) + len(known_seen)} ({len(known_seen)} known)")
        print(f"module cycles: {len(mcycles)} ({sum(len(c) for c in mcycles)} modules in them)")
        for c in mcycles:
            print("  " + " ".join(c))
        print(f"folder cycles: {len(fcycles)}")
        for c in fcycles:
            print("  " + " ".join(c))
        print(f"layer cycles: {len(lcycles)}")
        for c in lcycles:
            print("  " + " ".join(c))
    if upward or unplaced or stale:
        print(f"check-layers: {len(upward)} upward include(s), {len(unplaced)} unplaced file(s), "
              f"{len(stale)} stale KNOWN entr(ies)")
        return 1
    print(f"check-layers: ok ({len(known_seen)} known upward includes left)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
