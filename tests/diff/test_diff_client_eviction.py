"""Client eviction (maxmemory-clients) on Keel and on redis-server side by side, as
unit/client-eviction checks it:

- the largest clients go first (memory buckets), only as many as needed to get under the
  limit, and INFO's evicted_clients counts them;
- CLIENT NO-EVICT on protects a client; off makes it evictable again;
- output waiting for a client that does not read counts (it is evicted), and so do a
  transaction's queued commands (CLIENT LIST multi-mem: the queued arguments' lengths plus a pointer each);
- a big argument still arriving shows in CLIENT LIST as Redis shows it (qbuf counts from the
  argument's first byte).

Memory figures differ between the servers (allocators, buffer layouts): each scenario derives
its limits from the server's own CLIENT LIST, and only the outcomes are compared.
"""

import socket

from helpers import ORACLE_SERVER, keel_binary, on_each_server, wait_until


def each(start_server, fn):
    return on_each_server(start_server, [], fn)


def clients(c):
    return {x["name"]: x for x in c.client_list() if x["name"]}


def raw_client(server, name):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"CLIENT SETNAME %s\r\n" % name.encode())
    assert s.recv(100) == b"+OK\r\n"
    return s


def fill_query_buffer(s, size):
    """An unfinished two-argument request whose first argument (size bytes) has fully arrived."""
    s.sendall(b"*2\r\n$%d\r\n" % size + b"v" * size)


def close_all(socks):
    for s in socks:
        s.close()


def test_largest_evicted_first_and_only_as_needed(start_server):
    sizes = {"small": 64 * 1024, "medium": 300 * 1024, "large": 1200 * 1024}

    def scenario(server, c):
        c.client_setname("control")
        c.execute_command("CLIENT", "NO-EVICT", "on")
        socks = []
        try:
            for kind, size in sizes.items():
                for i in range(2):
                    s = raw_client(server, "%s-%d" % (kind, i))
                    fill_query_buffer(s, size)
                    socks.append(s)
            for kind, size in sizes.items():
                for i in range(2):
                    name = "%s-%d" % (kind, i)
                    wait_until(lambda: int(clients(c)[name]["qbuf"]) == size, 10, what="qbuf of " + name)
            before = clients(c)
            mem = {n: int(x["tot-mem"]) for n, x in before.items()}
            total = sum(int(x["tot-mem"]) for x in c.client_list())
            # Room for everything but the two large clients, with half a medium client to spare.
            limit = total - mem["large-0"] - mem["large-1"] + sizes["medium"] // 2
            c.config_set("maxmemory-clients", limit)
            wait_until(lambda: "large-0" not in clients(c) and "large-1" not in clients(c), 10,
                       what="the large clients' eviction")
            step1 = sorted(clients(c))
            evicted1 = c.info("stats")["evicted_clients"]
            # Then room for the small ones only.
            limit -= mem["medium-0"] + mem["medium-1"]
            c.config_set("maxmemory-clients", limit)
            wait_until(lambda: "medium-0" not in clients(c), 10, what="the medium clients' eviction")
            step2 = sorted(clients(c))
            evicted2 = c.info("stats")["evicted_clients"]
            # Off: nobody else goes, whatever they hold.
            c.config_set("maxmemory-clients", 0)
            return step1, evicted1, step2, evicted2, sorted(clients(c))
        finally:
            close_all(socks)

    keel, redis = each(start_server, scenario)
    assert keel == redis
    assert keel[0] == ["control", "medium-0", "medium-1", "small-0", "small-1"]
    assert keel[1] == 2 and keel[3] == 4


def test_no_evict(start_server):
    def scenario(server, c):
        c.client_setname("control")
        c.execute_command("CLIENT", "NO-EVICT", "on")
        c.config_set("maxmemory-clients", 200 * 1024)
        out = []
        for name, no_evict in (("kept", b"on"), ("evictable", b"off")):
            s = raw_client(server, name)
            try:
                s.sendall(b"CLIENT NO-EVICT %s\r\n" % no_evict)
                assert s.recv(100) == b"+OK\r\n"
                fill_query_buffer(s, 300 * 1024)
                if no_evict == b"on":
                    wait_until(lambda: int(clients(c)[name]["qbuf"]) == 300 * 1024, 10, what="qbuf")
                    out.append((sorted(clients(c)), clients(c)[name]["flags"]))
                else:
                    wait_until(lambda: name not in clients(c), 10, what="the eviction")
                    out.append(sorted(clients(c)))
            finally:
                s.close()
            wait_until(lambda: name not in clients(c), 10, what="the close")
            out.append(c.info("stats")["evicted_clients"])
        return out

    keel, redis = each(start_server, scenario)
    assert keel == redis
    assert keel == [(["control", "kept"], "e"), 0, ["control"], 1]


def test_output_buffer_and_transaction_count(start_server):
    def scenario(server, c):
        c.client_setname("control")
        c.execute_command("CLIENT", "NO-EVICT", "on")
        c.setrange("k", 100000, "v")
        c.config_set("maxmemory-clients", 1024 * 1024)
        # A transaction's queued arguments: multi-mem, then eviction once they pass the limit.
        t = raw_client(server, "multi")
        t.sendall(b"MULTI\r\n")
        assert t.recv(100) == b"+OK\r\n"
        value = b"x" * 1000
        t.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n" + value + b"\r\n")
        assert t.recv(100) == b"+QUEUED\r\n"
        multi_mem = int(clients(c)["multi"]["multi-mem"])
        big = b"y" * (300 * 1024)
        queued = 0
        try:
            while queued < 10:
                t.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % len(big) + big + b"\r\n")
                if t.recv(100) != b"+QUEUED\r\n":
                    break
                queued += 1
        except OSError:
            pass
        t.close()
        multi_gone = "multi" not in clients(c)
        # Output the client never reads: GETs of a 100 KB value until it is evicted.
        o = raw_client(server, "reader")
        for _ in range(100):
            try:
                o.sendall(b"GET k\r\n" * 5)
            except OSError:
                break
            if "reader" not in clients(c):
                break
        o.close()
        return multi_mem, queued < 10, multi_gone, "reader" not in clients(c), c.info("stats")["evicted_clients"]

    keel, redis = each(start_server, scenario)
    assert keel == redis
    assert keel == (1004 + 3 * 8, True, True, True, 2)   # lengths, and a pointer per argument


def test_big_argument_figures(start_server):
    """While a 100 KB argument arrives, qbuf counts it from its first byte and argv-mem the
    arguments before it. (qbuf + qbuf-free, the room reserved, is not compared: redis-server's
    depends on how the first read split the request.)"""
    def scenario(server, c):
        s = raw_client(server, "writer")
        try:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$102400\r\n" + b"v" * 50000)
            wait_until(lambda: int(clients(c)["writer"]["qbuf"]) == 50000, 10, what="qbuf")
            x = clients(c)["writer"]
            return int(x["qbuf"]), int(x["argv-mem"])
        finally:
            s.close()

    keel, redis = each(start_server, scenario)
    assert keel == redis == (50000, 6)


def test_clients_go_before_keys(start_server):
    """unit/maxmemory's "output buffers of many MGET clients": without client eviction keys are
    evicted; then, with a client limit under what maxmemory leaves for clients, clients that do
    not read are evicted and no key is. Victims closed while other clients' commands run still
    hold their buffers for a moment; that memory must not make keys be evicted."""
    def phase(server, c, client_eviction):
        c.flushdb()
        c.config_set("maxmemory-clients", 3 * 1024 * 1024 if client_eviction else 0)
        c.config_resetstat()
        for j in range(50):
            c.setrange(str(j), 100000, "x")
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(20)]
        try:
            for _ in range(2000):
                for s in list(socks):
                    try:
                        s.sendall(b"*2\r\n$4\r\nMGET\r\n$1\r\n1\r\n")
                    except OSError:
                        socks.remove(s)
                stats = c.info("stats")
                if stats["evicted_keys"] or (client_eviction and stats["evicted_clients"]):
                    break
            stats = c.info("stats")
            return stats["evicted_clients"] > 0, stats["evicted_keys"] > 0, c.dbsize() == 50
        finally:
            close_all(socks)

    def scenario(server, c):
        c.config_set("maxmemory", 11 * 1024 * 1024)
        c.config_set("maxmemory-policy", "allkeys-lru")
        c.execute_command("CLIENT", "NO-EVICT", "on")
        return phase(server, c, False), phase(server, c, True)

    assert each(start_server, scenario) == [((False, True, False), (True, False, True))] * 2


def test_replica_links_never_evicted(start_server):
    """A replica's link (on the primary) and the master link (on the replica) are never
    evicted, whatever they hold; only normal and pub/sub clients are."""
    out = []
    for binary in (keel_binary(), ORACLE_SERVER):
        primary = start_server(["--repl-diskless-sync-delay", "0"], binary=binary)
        replica = start_server([], binary=binary)
        p, r = primary.client(), replica.client()
        try:
            for c in (p, r):
                c.execute_command("CLIENT", "NO-EVICT", "on")
                c.config_set("maxmemory-clients", 1)   # the 128 KB minimum
            r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
            wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, interval=0.05,
                       what="the replication link")
            for i in range(20):
                p.set("big:%d" % i, "x" * 300000)
            wait_until(lambda: r.dbsize() == 20, 20, interval=0.05, what="the writes on the replica")
            out.append((p.info("replication")["connected_slaves"], r.info("replication")["master_link_status"],
                        p.info("stats")["evicted_clients"], r.info("stats")["evicted_clients"]))
        finally:
            p.close()
            r.close()
    assert out[0] == out[1] == (1, "up", 0, 0)
