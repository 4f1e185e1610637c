"""Reading what a server appended to its AOF: the manifest, the last incremental file, its
commands; and comparing two streams with absolute times (PXAT, PEXPIREAT) allowed to differ by
the moment each server ran the command."""

import os

TIME_TOLERANCE_MS = 5000


def manifest(server_dir, dirname="appendonlydir", prefix="appendonly.aof"):
    """[(name, seq, type)] of the manifest, in its order."""
    path = os.path.join(server_dir, dirname, prefix + ".manifest")
    rows = []
    with open(path, "rb") as f:
        for line in f.read().decode().splitlines():
            if not line or line.startswith("#"):
                continue
            words = line.split()
            fields = dict(zip(words[0::2], words[1::2]))
            rows.append((fields["file"], int(fields["seq"]), fields["type"]))
    return rows


def last_incr(server_dir):
    incrs = [name for name, _, kind in manifest(server_dir) if kind == "i"]
    return os.path.join(server_dir, "appendonlydir", incrs[-1])


def parse_commands(data):
    """The RESP commands of an AOF's bytes, as lists of bytes; raises on a malformed file."""
    out, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        assert data[pos:pos + 1] == b"*", "no multibulk at offset %d: %r" % (pos, data[pos:pos + 40])
        end = data.index(b"\r\n", pos)
        argc = int(data[pos + 1:end])
        pos = end + 2
        args = []
        for _ in range(argc):
            assert data[pos:pos + 1] == b"$", "no bulk at offset %d" % pos
            end = data.index(b"\r\n", pos)
            n = int(data[pos + 1:end])
            args.append(data[end + 2:end + 2 + n])
            assert data[end + 2 + n:end + 4 + n] == b"\r\n"
            pos = end + 4 + n
        out.append(args)
    return out


class AofTail:
    """What a server appended to its current incremental file since the last read (a rewrite
    that switches files starts over at the new file)."""

    def __init__(self, server):
        self.server = server
        self.path = None
        self.offset = 0

    def read_new(self):
        path = last_incr(self.server.dir)
        if path != self.path:
            self.path, self.offset = path, 0
        with open(path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        return data

    def commands(self):
        return parse_commands(self.read_new())


def _time_arg_positions(cmd):
    """Indexes of absolute-time arguments in a propagated command."""
    name = cmd[0].upper()
    if name == b"PEXPIREAT" and len(cmd) > 2:
        return {2}
    if name == b"XCLAIM":   # consumer-group effects carry delivery times (TIME <ms>)
        return {i + 1 for i, a in enumerate(cmd[:-1]) if a.upper() == b"TIME"}
    return {i + 1 for i, a in enumerate(cmd[:-1]) if a.upper() == b"PXAT"} if name == b"SET" else set()


def stream_difference(keel_cmds, redis_cmds):
    """None if the streams are equal (times within TIME_TOLERANCE_MS), else a description."""
    for i, (k, r) in enumerate(zip(keel_cmds, redis_cmds)):
        times = _time_arg_positions(r)
        same = len(k) == len(r) and all(
            (abs(int(a) - int(b)) <= TIME_TOLERANCE_MS) if j in times and a.isdigit() and b.isdigit() else a == b
            for j, (a, b) in enumerate(zip(k, r)))
        if not same:
            return "command %d differs:\n  keel:  %r\n  redis: %r\n%s" % (i, k, r, _context(keel_cmds, redis_cmds))
    if len(keel_cmds) != len(redis_cmds):
        return "keel appended %d commands, redis %d\n%s" % (len(keel_cmds), len(redis_cmds),
                                                            _context(keel_cmds, redis_cmds))
    return None


def _context(keel_cmds, redis_cmds):
    return "keel stream:\n  %s\nredis stream:\n  %s" % ("\n  ".join(map(repr, keel_cmds[:60])),
                                                       "\n  ".join(map(repr, redis_cmds[:60])))
