"""Differential scripts: the geo commands (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO forms).

Geo indexes are sorted sets of 52-bit geohash scores, so the scripts compare the scores too
(ZRANGE WITHSCORES), then the searches on seeded random points: everywhere, crowded near the
poles (the last indexable latitudes, +-85.05112878), across the antimeridian and at the exact
coordinate limits, with every option (FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX, ASC/DESC, COUNT
[ANY], WITHCOORD/WITHDIST/WITHHASH, STORE/STOREDIST) and all units. Replies are compared byte
for byte: members, order, coordinates printed with 17 digits and distances with 4 decimals.

Every script runs in RESP2 and RESP3 (coordinates are doubles there) and with both sorted-set
encodings.
"""

import random

import pytest

from diff.runner import C, arity, restore_config, run_script

SYNTAX = b"-ERR syntax error\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
LAT_MAX = 85.05112878

DEFAULTS = {"zset-max-listpack-entries": "128", "zset-max-listpack-value": "64"}


@pytest.fixture(autouse=True)
def restore_limits(keel, oracle):
    yield
    restore_config((keel, oracle), DEFAULTS)


SCRIPTS = {
    "add_and_read": [
        ["GEOADD", "g", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"],
        ["GEOADD", "g", 13.361389, 38.115556, "Palermo"],
        ["GEOADD", "g", "CH", 13.4, 38.1, "Palermo", 2.35, 48.85, "Paris"],
        ["GEOADD", "g", "NX", 0, 0, "Palermo", 1, 1, "Null"],
        ["GEOADD", "g", "XX", 0, 0, "Null", 5, 5, "nope"],
        ["GEOADD", "g", "XX", "CH", 0.5, 0.5, "Null"], ["GEOADD", "g", "ch", "nx", "ch", 9, 9, "a"],
        ["ZRANGE", "g", 0, -1, "WITHSCORES"], ["TYPE", "g"], ["OBJECT", "ENCODING", "g"],
        ["GEOPOS", "g", "Palermo", "missing", "Catania", "Null"], ["GEOPOS", "g"], ["GEOPOS", "nokey", "a"],
        ["GEODIST", "g", "Palermo", "Catania"], ["GEODIST", "g", "Palermo", "Catania", "km"],
        ["GEODIST", "g", "Palermo", "Catania", "MI"], ["GEODIST", "g", "Palermo", "Catania", "ft"],
        ["GEODIST", "g", "Palermo", "Palermo"], ["GEODIST", "g", "Palermo", "missing"],
        ["GEODIST", "nokey", "a", "b"], ["GEOHASH", "g", "Palermo", "Catania", "missing", "Null"],
        ["GEOHASH", "nokey", "a"], ["GEOHASH", "g"],
        ["GEOADD", "lim", 180, LAT_MAX, "ne", -180, -LAT_MAX, "sw", 180, -LAT_MAX, "se", -180, LAT_MAX, "nw",
         0, 0, "o", "-0", "-0", "z", "1e-300", "-1e-300", "tiny"],
        ["ZRANGE", "lim", 0, -1, "WITHSCORES"], ["GEOPOS", "lim", "ne", "sw", "se", "nw", "o", "z", "tiny"],
        ["GEOHASH", "lim", "ne", "sw", "se", "nw", "o"], ["GEODIST", "lim", "ne", "sw"],
        ["GEODIST", "lim", "ne", "nw", "km"], ["GEODIST", "lim", "se", "sw"],
        # Scores that are no geohash: GEOPOS and friends decode whatever is there.
        ["ZADD", "raw", -1, "neg", "4503599627370496", "big", "1e300", "huge", "-inf", "ninf", 0, "zero"],
        ["GEOPOS", "raw", "neg", "big", "huge", "ninf", "zero"], ["GEOHASH", "raw", "neg", "big", "zero"],
        ["GEODIST", "raw", "neg", "big"],
    ],
    "errors": [
        C("GEOADD", "g", 1, 2, expect=arity("geoadd")), C("GEOADD", "g", 1, 2, "m", 3),
        C("GEOADD", "g", "NX", "XX", 1, 2, "m", expect=SYNTAX), C("GEOADD", "g", "GT", 1, 2, "m"),
        C("GEOADD", "g", 181, 0, "m"), C("GEOADD", "g", 0, 86, "m"), C("GEOADD", "g", -180.0001, 0, "m"),
        C("GEOADD", "g", 0, -85.06, "m"), C("GEOADD", "g", "x", 0, "m", expect=NOT_FLOAT),
        C("GEOADD", "g", 0, "nan", "m"), C("GEOADD", "g", "inf", 0, "m"), C("GEOADD", "g", 1, 1, "a", 200, 1, "b"),
        ["EXISTS", "g"], C("GEOADD", "g", "ch", "ch", "ch"), C("GEOADD", "g", "nx", "ch", "xx"),
        ["SET", "s", "x"], C("GEOADD", "s", 1, 1, "m", expect=WRONGTYPE), C("GEOADD", "s", 1, 100, "m"),
        C("GEOPOS", "s", "m"), C("GEODIST", "s", "a", "b"), C("GEOHASH", "s", "a"),
        C("GEODIST", "g", "a", "b", "parsec"), C("GEODIST", "g", "a", "b", "km", "x"),
        C("GEODIST", "s", "a", "b", "km", "x"), C("GEODIST", "nokey", "a", "b", "yards"),
        ["GEOADD", "g", 1, 1, "a", 2, 2, "b"],
        C("GEOSEARCH", "s", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", -1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", "x", "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "yd"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYBOX", 1, -1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYBOX", "w", 1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYBOX", 1, "h", "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYBOX", 1, 1, "x"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 99, "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "g", "FROMMEMBER", "zz", "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "g", "FROMMEMBER", "a", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "FROMMEMBER", "a", "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "BYBOX", 1, 1, "km"),
        C("GEOSEARCH", "g", "BYRADIUS", 1, "km", "ASC", "DESC"), C("geosearch", "g", "FROMLONLAT", 0, 0, "ASC", "x"),
        C("GeoSearch", "g", "FROMLONLAT", 0, 0, "WITHDIST", "ANY"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "ANY"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "COUNT", 0),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "COUNT", -3),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "COUNT", "x"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "COUNT"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "STORE", "d"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "STOREDIST"),
        C("GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1),
        C("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "WITHDIST"),
        C("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km", "STORE", "x"),
        C("geosearchstore", "d", "g", "FROMMEMBER", "a", "km"),
        C("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"),
        C("GEORADIUS", "g", 0, 0, 1, "km", "FROMLONLAT", 0, 0), C("GEORADIUS", "g", 0, 0, 1),
        C("GEORADIUS", "g", 0, 0, 1, "km", "STORE", "d", "WITHCOORD"),
        C("GEORADIUS", "g", 0, 0, "-1", "km"), C("GEORADIUS", "g", 0, 91, 1, "km"),
        C("GEORADIUS", "g", 0, 0, 1, "km", "STORE"), C("GEORADIUS_RO", "g", 0, 0, 1, "km", "STORE", "d"),
        C("GEORADIUSBYMEMBER", "g", "zz", 1, "km"), C("GEORADIUSBYMEMBER", "nokey", "zz", "x", "km"),
        C("GEORADIUSBYMEMBER", "nokey", "zz", 1, "km", "STORE", "d"),
        C("GEORADIUSBYMEMBER_RO", "g", "a", 1, "km", "STOREDIST", "d"),
        C("GEORADIUSBYMEMBER", "g", "a", 1, "km", "COUNT", 1, "ANY", "STORE", "d", "WITHHASH"),
        C("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "km"),
        C("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYBOX", 1, 1, "km", "COUNT", 1, "ANY", "WITHDIST"),
        C("GEOSEARCH", "nokey", "FROMMEMBER", "x"), C("GEOSEARCH", "nokey", "BYRADIUS", 1, "km"),
        C("GEOSEARCH", expect=arity("geosearch")), C("GEOSEARCHSTORE", "a", expect=arity("geosearchstore")),
        C("GEOPOS", expect=arity("geopos")), C("GEODIST", "g", "a", expect=arity("geodist")),
    ],
    "store": [
        ["GEOADD", "g", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania", 2.35, 48.85, "Paris"],
        ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km"], ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "STOREDIST"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"], ["OBJECT", "ENCODING", "d"],
        ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "STOREDIST", "COUNT", 1, "DESC"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["EXPIRE", "d", 100], ["GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Paris", "BYBOX", 10, 10, "km"],
        ["TTL", "d"], ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "m"], ["EXISTS", "d"],
        ["GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "m"],
        ["SET", "str", "x"], ["GEOSEARCHSTORE", "str", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km"],
        ["TYPE", "str"], ["GEOSEARCHSTORE", "g", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km"],
        ["ZRANGE", "g", 0, -1, "WITHSCORES"],
        ["GEOADD", "g", 2.35, 48.85, "Paris"],
        ["GEORADIUS", "g", 15, 37, 300, "km", "STORE", "r1"], ["ZRANGE", "r1", 0, -1, "WITHSCORES"],
        ["GEORADIUS", "g", 15, 37, 300, "km", "STOREDIST", "r2", "ASC"], ["ZRANGE", "r2", 0, -1, "WITHSCORES"],
        ["GEORADIUS", "g", 15, 37, 300, "km", "STORE", "r3", "STOREDIST", "r4"], ["EXISTS", "r3", "r4"],
        ["GEORADIUSBYMEMBER", "g", "Paris", 2000, "km", "STORE", "r5", "COUNT", 2],
        ["ZRANGE", "r5", 0, -1, "WITHSCORES"], ["GEORADIUSBYMEMBER", "g", "Paris", 1, "m", "STORE", "r5"],
        ["EXISTS", "r5"],
        ["COMMAND", "GETKEYS", "GEORADIUS", "g", 0, 0, 1, "km", "STORE", "d"],
        ["COMMAND", "GETKEYS", "GEORADIUS", "g", 0, 0, 1, "km", "STOREDIST", "d", "STORE", "e"],
        ["COMMAND", "GETKEYS", "GEORADIUS", "g", 0, 0, 1, "km", "STORE"],
        ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "g", "m", 1, "km", "STORE", "d"],
        ["COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
        ["COMMAND", "GETKEYS", "GEORADIUS_RO", "g", 0, 0, 1, "km"],
    ],
    "search_options": [
        ["GEOADD", "g", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania",
         12.758489, 38.788135, "edge1", 17.241510, 38.788135, "edge2", 14, 38, "mid", 14, 38, "twin"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "DESC", "WITHCOORD", "WITHDIST",
         "WITHHASH"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC", "WITHDIST"],
        ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 100, "mi", "WITHDIST", "COUNT", 2],
        ["GEOSEARCH", "g", "FROMMEMBER", "mid", "BYRADIUS", 100, "mi", "WITHDIST", "COUNT", 2, "ANY"],
        ["GEOSEARCH", "g", "FROMMEMBER", "mid", "BYRADIUS", 1000, "km", "COUNT", 3, "ANY", "DESC"],
        ["GEOSEARCH", "g", "FROMMEMBER", "mid", "BYRADIUS", 0, "km", "WITHDIST"],
        ["GEOSEARCH", "g", "FROMMEMBER", "mid", "BYBOX", 0, 0, "ft", "WITHDIST"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 1e6, "ft", "withdist", "withhash", "asc"],
        ["GEORADIUS", "g", 15, 37, 200, "km", "WITHDIST", "WITHCOORD", "ASC", "COUNT", 3],
        ["GEORADIUS_RO", "g", 15, 37, 200, "km", "WITHHASH", "DESC"],
        ["GEORADIUSBYMEMBER", "g", "Palermo", 200, "km", "WITHDIST"],
        ["GEORADIUSBYMEMBER_RO", "g", "Palermo", 200, "km", "WITHCOORD", "COUNT", 1],
        ["GEORADIUS", "g", 15, 37, 200, "km", "COUNT", 2, "COUNT", 5, "ASC", "DESC"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 40000, "km", "ASC"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 40000, 40000, "km", "DESC"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 1e300, "km", "ASC"],
        ["GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 1e300, 1, "m"],
    ],
}


@pytest.mark.parametrize("encoding", ["listpack", "skiplist"])
@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_geo(keel, oracle, name, proto, encoding):
    script = SCRIPTS[name]
    if encoding == "skiplist":
        script = [["CONFIG", "SET", "zset-max-listpack-entries", 0]] + script
    run_script(keel, oracle, script, hello3=(proto == 3))


def region_point(r, region):
    """A random point of one of the regions where geohash boxes and distances are delicate."""
    if region == "world":
        return r.uniform(-180, 180), r.uniform(-LAT_MAX, LAT_MAX)
    if region == "north":
        return r.uniform(-180, 180), r.uniform(80, LAT_MAX)
    if region == "south":
        return r.uniform(-180, 180), r.uniform(-LAT_MAX, -80)
    if region == "antimeridian":
        return r.choice([r.uniform(175, 180), r.uniform(-180, -175)]), r.uniform(-60, 60)
    if region == "limits":
        return r.choice([-180, 180, 0, r.uniform(-180, 180)]), r.choice([LAT_MAX, -LAT_MAX, 0, r.uniform(-85, 85)])
    lon, lat = r.uniform(-180, 180), r.uniform(-LAT_MAX, LAT_MAX)   # "cluster": a small area
    return 2.3 + r.uniform(-0.05, 0.05), 48.8 + r.uniform(-0.05, 0.05)


REGIONS = ["world", "north", "south", "antimeridian", "limits", "cluster"]


def random_search(r, region, members):
    unit = r.choice(["m", "km", "mi", "ft"])
    scale = {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit]
    meters = r.choice([100, 5e3, 5e4, 3e5, 1e6, 5e6, 2e7])
    size = "%.6g" % (meters / scale * r.uniform(0.5, 1.5))
    if r.random() < 0.5:
        lon, lat = region_point(r, region)
        src = ["FROMLONLAT", "%.9f" % lon, "%.9f" % lat]
        radius_centre = ["%.9f" % lon, "%.9f" % lat]
    else:
        m = r.choice(members)
        src, radius_centre = ["FROMMEMBER", m], None
    shape = (["BYRADIUS", size, unit] if r.random() < 0.5
             else ["BYBOX", size, "%.6g" % (float(size) * r.uniform(0.2, 3)), unit])
    opts = [o for o in ["WITHCOORD", "WITHDIST", "WITHHASH"] if r.random() < 0.4]
    sort = r.choice([[], ["ASC"], ["DESC"]])
    count = r.choice([[], [], ["COUNT", r.randint(1, 5)], ["COUNT", r.randint(1, 5), "ANY"]])
    steps = [["GEOSEARCH", "g", *src, *shape, *opts, *sort, *count]]
    if shape[0] == "BYRADIUS":
        if radius_centre:
            steps.append(["GEORADIUS_RO", "g", *radius_centre, size, unit, *opts, *sort, *count])
        else:
            steps.append(["GEORADIUSBYMEMBER", "g", src[1], size, unit, *opts, *sort, *count])
    if r.random() < 0.2:
        steps += [["GEOSEARCHSTORE", "dst", "g", *src, *shape, *sort, *count,
                   *(["STOREDIST"] if r.random() < 0.5 else [])],
                  ["ZRANGE", "dst", 0, -1, "WITHSCORES"]]
    return steps


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("seed", range(4))
def test_geo_random(keel, oracle, region, seed):
    """Random points in a region, then random searches around them: members, order, distances,
    coordinates and hashes as redis-server's."""
    r = random.Random("%s-%d" % (region, seed))
    members = ["p%d" % i for i in range(r.choice([40, 200, 600]))]
    steps = []
    for i in range(0, len(members), 100):
        args = []
        for m in members[i:i + 100]:
            lon, lat = region_point(r, region)
            args += ["%.9f" % lon, "%.9f" % lat, m]
        steps.append(["GEOADD", "g", *args])
    steps += [["GEOPOS", "g", *r.sample(members, 10)], ["GEOHASH", "g", *r.sample(members, 10)]]
    steps += [["GEODIST", "g", *r.sample(members, 2), r.choice(["m", "km", "mi", "ft"])] for _ in range(20)]
    for _ in range(60):
        steps += random_search(r, region, members)
    run_script(keel, oracle, steps, hello3=(seed % 2 == 1))
