"""The seed's ticket service as Lua scripts, run on Keel and on redis-server 7.0.15.

(1) seat selection: HGET the seat, then SETNX with a missing argument (the service's bug), then
    HDEL: both servers must reply the same error, byte for byte, and the failing script must not
    have deleted the seat (a script stops at the first redis.call error);
(2) the one-shot random ticket: HSCAN key 0 COUNT 1 once and return the first field; on
    redis-server it returns nothing for a hash that had 100,000 seats and sold all but 10, on
    Keel it returns a seat because its table shrinks as fields are deleted;
(3) the corrected script, looping on the cursor until it gets a field: a seat on both;
(4) the same job with HRANDFIELD: a seat on both.
"""

from diff.resp import RespConnection, encode_command
from helpers import keel_is_redis

SELECT_SEAT = """local seat = redis.call('HGET', KEYS[1], ARGV[1])
if seat then
  redis.call('SETNX', KEYS[2])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return seat"""

RANDOM_ONE_SHOT = """local page = redis.call('HSCAN', KEYS[1], '0', 'COUNT', 1)
return page[2][1]"""

RANDOM_LOOP = """local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', 1)
  cursor = page[1]
  if page[2][1] then return page[2][1] end
until cursor == '0'
return false"""

RANDOM_HRANDFIELD = "return redis.call('HRANDFIELD', KEYS[1])"


def conn(server):
    return RespConnection(server.host, server.port, timeout=60)


def raw(c, *args):
    return c.call(*args).raw


def pipeline(c, commands):
    for start in range(0, len(commands), 2000):
        chunk = commands[start:start + 2000]
        c.send_raw(b"".join(encode_command(cmd) for cmd in chunk))
        for _ in chunk:
            assert not c.read_reply().is_error


def sold_out_hall(c, seats=100000, left=10):
    """A hash of `seats` seats of which all but `left` were sold (deleted). Returns the left."""
    names = ["seat:%d" % i for i in range(seats)]
    pipeline(c, [["HSET", "hall"] + [x for n in names[i:i + 1000] for x in (n, "free")]
                 for i in range(0, seats, 1000)])
    keep = names[:left]
    sold = names[left:]
    pipeline(c, [["HDEL", "hall"] + sold[i:i + 1000] for i in range(0, len(sold), 1000)])
    assert c.call("HLEN", "hall").to_py() == left
    return {k.encode() for k in keep}


def both(keel, oracle):
    return [conn(keel), conn(oracle)]


def test_seat_selection_error_matches_redis(keel, oracle):
    conns = both(keel, oracle)
    replies = []
    for c in conns:
        raw(c, "SCRIPT", "FLUSH")
        raw(c, "HSET", "seats", "A1", "free", "A2", "free")
        sha = c.call("SCRIPT", "LOAD", SELECT_SEAT).to_py()
        replies.append([
            raw(c, "EVAL", SELECT_SEAT, "2", "seats", "lock:A1", "A1"),
            raw(c, "EVALSHA", sha, "2", "seats", "lock:A1", "A1"),
            raw(c, "EVAL", SELECT_SEAT, "2", "seats", "lock:Z9", "Z9"),
            raw(c, "HGETALL", "seats"),
            raw(c, "EXISTS", "lock:A1"),
        ])
        c.close()
    assert replies[0] == replies[1]
    assert replies[1][0].startswith(b"-ERR Wrong number of args calling Redis command from script script: ")
    assert replies[1][0].endswith(b", on @user_script:3.\r\n")
    assert replies[1][2] == b"$-1\r\n"
    # The error stopped the script before HDEL: the seat is still for sale.
    assert b"A1" in replies[1][3]


def test_random_ticket_small_hall_matches_redis(keel, oracle):
    conns = both(keel, oracle)
    replies = []
    for c in conns:
        raw(c, "HSET", "hall", "seat:1", "free")
        replies.append([raw(c, "EVAL", s, "1", "hall") for s in (RANDOM_ONE_SHOT, RANDOM_LOOP, RANDOM_HRANDFIELD)])
        c.close()
    assert replies[0] == replies[1] == [b"$6\r\nseat:1\r\n"] * 3


def test_random_ticket_after_selling_all_but_10(keel, oracle):
    k, r = both(keel, oracle)
    keep_k = sold_out_hall(k)
    keep_r = sold_out_hall(r)
    assert keep_k == keep_r
    # (2) one-shot HSCAN: Keel finds a seat; redis-server finds none (the reported problem).
    one_shot_k = k.call("EVAL", RANDOM_ONE_SHOT, "1", "hall").to_py()
    one_shot_r = r.call("EVAL", RANDOM_ONE_SHOT, "1", "hall")
    if not keel_is_redis():
        assert one_shot_k in keep_k
    assert one_shot_r.raw == b"$-1\r\n" or one_shot_r.to_py() in keep_r
    # (3) the loop and (4) HRANDFIELD find a seat on both.
    for c, keep in ((k, keep_k), (r, keep_r)):
        for script in (RANDOM_LOOP, RANDOM_HRANDFIELD):
            for _ in range(20):
                assert c.call("EVAL", script, "1", "hall").to_py() in keep
    k.close()
    r.close()
