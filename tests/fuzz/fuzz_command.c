/* fuzz_command.c - libFuzzer harness for the command layer: request bytes in, replies out, no
 * network.
 *
 * The server is set up once with server_init_headless() (databases, command table, no sockets,
 * no signals). Each input is fed to a fake client the way client.c's read path does it: parse
 * with req_parse, run each complete command through process_command, discard the replies.
 * After the input every database is flushed so inputs stay independent and memory bounded.
 *
 * A few commands are refused because they act on the process rather than the data and would
 * only make the harness stop or stall (SHUTDOWN, DEBUG, MONITOR, CONFIG, CLIENT); everything
 * else in the command table is reachable. Built by `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server.h"
#include "util/mem.h"
#include "util/util.h"

#define MAX_COMMANDS 64   /* per input: keeps each run short */

static client *fake;

static int refused(const karg *name) {
    static const char *const deny[] = {"shutdown", "debug", "monitor", "config", "client", NULL};
    for (int i = 0; deny[i]; i++)
        if (arg_is(name->ptr, name->len, deny[i])) return 1;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    config_init_defaults();
    if (server_init_headless() < 0) abort();
    fake = client_create_fake();
    return 0;
}

static void run_command(int argc, karg *argv) {
    client_execute(fake, argc, argv);
    reply_free_all(fake);
}

static void run_input(char *buf, size_t len) {
    size_t pos = 0;
    for (int n = 0; n < MAX_COMMANDS && pos < len; n++) {
        size_t used = 0;
        int r = req_parse(&fake->parser, buf + pos, len - pos, &used);
        if (r != REQ_OK) break;
        pos += used;
        if (fake->parser.argc == 0 || refused(&fake->parser.argv[0])) continue;
        run_command(fake->parser.argc, fake->parser.argv);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = kmalloc(size ? size : 1);
    memcpy(buf, data, size);
    /* A fresh parser and connection state per input: an unfinished request or a SELECT must
     * not leak into the next one. */
    req_free(&fake->parser);
    req_init(&fake->parser, server.proto_max_bulk_len);
    run_input(buf, size);
    kfree(buf);
    /* RESET drops whatever connection state the input built (SELECT, HELLO 3, MULTI, ...). */
    char reset[] = "RESET";
    karg arg = {reset, 5};
    run_command(1, &arg);
    for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
    return 0;
}
