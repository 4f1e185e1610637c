#!/usr/bin/python3
"""Writes the libFuzzer seed corpus (tests/fuzz/corpus/{request,command}/) from the
differential fuzzer's grammar plus hand-written traffic (inline commands, pipelines, protocol
edge cases), and tests/fuzz/commands.dict (every literal word of the grammar as a RESP bulk,
for libFuzzer's -dict). Deterministic: rerun after changing specs.py to refresh both."""

import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from diff.resp import encode_command  # noqa: E402
import specs  # noqa: E402

HAND_WRITTEN = [
    b"PING\r\n",
    b"SET k v\r\nGET k\r\n",
    b'SET "a b" "c\\x00d"\r\nGET \'a b\'\r\n',
    b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    b"*0\r\n*-1\r\n\r\n\n",
    b"*2\r\n$3\r\nGET\r\n$-1\r\n",
    b"*1\r\n$2147483648\r\n",
    b"HELLO 3\r\nHGETALL h\r\n",
    b"MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n",
    b"EVAL \"return redis.call('set', KEYS[1], ARGV[1])\" 1 k v\r\n",
    b"RPUSH l a b c\r\nLRANGE l 0 -1\r\nSORT l ALPHA STORE d\r\n",
    b"ZADD z 1 a 2 b\r\nZRANGE z 0 -1 WITHSCORES\r\nZRANGEBYLEX z - +\r\n",
    b"SETBIT b 7 1\r\nBITFIELD b GET u8 0 INCRBY i5 100 1\r\nBITCOUNT b\r\n",
]


def main():
    grammar = specs.Grammar()
    rng = random.Random(20261122)
    traffic = list(HAND_WRITTEN)
    for _ in range(40):
        traffic.append(b"".join(encode_command(grammar.draw(rng)[0]) for _ in range(8)))
    for name, prefix in (("request", True), ("command", False)):
        out = os.path.join(HERE, "corpus", name)
        os.makedirs(out, exist_ok=True)
        for i, data in enumerate(traffic):
            if prefix:   # fuzz_request.c: the first byte picks the parser limits
                data = bytes([i % 4]) + data
            with open(os.path.join(out, "seed-%03d" % i), "wb") as f:
                f.write(data)
    words = set()
    for template, _, _ in specs.SPECS:
        for tok in template.replace("(", " ").replace(")", " ").replace("[", " ").replace(
                "]", " ").replace("|", " ").split():
            if tok.isupper() or tok[0].isupper():
                words.add(tok)
    with open(os.path.join(HERE, "commands.dict"), "w") as f:
        f.write("# libFuzzer dictionary: the grammar's words as RESP bulks (make_corpus.py)\n")
        for w in sorted(words):
            f.write('"$%d\\x0d\\x0a%s\\x0d\\x0a"\n' % (len(w), w))
    print("%d seeds per corpus, %d dictionary words" % (len(traffic), len(words)))


if __name__ == "__main__":
    main()
