"""MIGRATE's connection cache, as redis-server 7.0.15's: one connection per target is kept and
reused (INFO migrate_cached_sockets), SELECT is resent only when the database changes, a cached
connection the target has closed is replaced without an error, and an idle connection is closed
after 10 s (Redis's suite: "MIGRATE cached connections are released after some time")."""

from helpers import ORACLE_SERVER, wait_until


def _cached(server):
    return server.client().info("stats")["migrate_cached_sockets"]


def _start(start_server, binary):
    src = start_server([], binary=binary)
    dst = start_server([], binary=binary)
    return src, dst


def _exercise(src, dst):
    s, d = src.client(), dst.client()
    out = [_cached(src)]
    for i in range(5):
        s.set("k%d" % i, "v%d" % i)
    # db 0, 9, 9, 0: keys must land where asked although SELECT is sent only on a change
    for key, db in (("k0", 0), ("k1", 9), ("k2", 9), ("k3", 0)):
        out.append(s.execute_command("MIGRATE", dst.host, dst.port, key, db, 5000))
    out.append(_cached(src))
    # one connection on the target besides ours: the cached one was reused
    out.append(d.info("clients")["connected_clients"] - 1)
    out.append(sorted(d.keys("*")))
    d9 = dst.client(db=9)
    out.append(sorted(d9.keys("*")))
    # the target drops it: the next MIGRATE connects again and succeeds
    me = d.client_id()
    for c in d.client_list():
        if int(c["id"]) != me:
            d.client_kill_filter(_id=c["id"])
    out.append(s.execute_command("MIGRATE", dst.host, dst.port, "k4", 9, 5000))
    out.append(sorted(d9.keys("*")))
    out.append(_cached(src))
    return out


def test_migrate_connection_cache_like_redis(start_server, keel_bin):
    pairs = [_start(start_server, keel_bin), _start(start_server, ORACLE_SERVER)]
    keel, redis = [_exercise(src, dst) for src, dst in pairs]
    assert keel == redis, (keel, redis)
    assert keel[0] == 0 and keel[5] == 1 and keel[6] == 1 and keel[-1] == 1
    # both servers close the idle connection about 10 s after its last use
    for src, _ in pairs:
        wait_until(lambda: _cached(src) == 0, timeout=20, interval=0.2, what="idle MIGRATE connection closed")
