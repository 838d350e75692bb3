/*
 * dur_driver.c: the durability suite's C driver for libstspiVastDataMT.so (issue 14).
 *
 * It is tests/c/driver.c (included, its `main` renamed: dlopen, every stspi_* resolved by name,
 * init/claim/open server/first LSU) plus an interactive worker, so that a Rust test can drive
 * many operations in one media-server process, SIGKILL it at any point and start another one
 * (with another state directory: another media server).
 *
 *   dur_driver LIB SERVER worker [MODEL]
 *
 * The worker opens the server, prints "READY <lsu>" and then reads one command per line on
 * stdin and answers exactly one line per command on stdout (flushed), of the form
 *
 *   RC <status> [key=value ...]
 *
 * where <status> is the sts_status_t the plugin returned (numbers from the header). The worker
 * judges nothing: the Rust side does. It holds at most one image handle at a time.
 *
 *   model PATH                   the model file: the bytes every image holds at each offset
 *   create NAME [FLAGS]          stspi_create_image_v10(FLAGS, default 0) -> the handle
 *   create7 NAME PENDING         stspi_create_image_v7(pending)
 *   open-write NAME [EXTRA]      stspi_open_image_v10(STS_O_WRITE | EXTRA) -> the handle
 *   write OFFSET LEN CHUNK [PAUSE_AFTER]
 *                                writes the model's bytes [OFFSET, OFFSET+LEN) in
 *                                stspi_write_image calls of CHUNK bytes (the last one short),
 *                                stopping at the first failure. Answer: the status of the last
 *                                call, `acked=` the end of the bytes the plugin acknowledged
 *                                (STS_EOK and `written` equal to the call's length), `calls=`,
 *                                `short=1` when a call answered STS_EOK with fewer bytes
 *                                written. With PAUSE_AFTER = K > 0, after K acknowledged calls
 *                                it prints "PAUSED acked=<offset>" and waits for a stdin line
 *                                (the test kills it meanwhile, or sends a line to go on).
 *   flush                        stspi_flush_image
 *   close-incomplete             stspi_close_image(STS_CLOSEF_IH_INCOMPLETE); forgets the handle
 *   close-complete               stspi_close_image(STS_CLOSEF_IH_COMPLETE); forgets the handle
 *   hprops                       stspi_get_image_prop of the handle: size=, flags=, ...
 *   props NAME                   stspi_get_image_prop_byname_v10: size= flags= pending=
 *                                created= busy_write= busy_read=
 *   list NAME [EXTRA]            image list (filter prefix NAME, if_flags
 *                                STS_IF_INCLUDE_PENDING | EXTRA): found= and the entry's
 *                                size= flags= pending= created= busy_write=; an open or list
 *                                failure is the status
 *   lsu-list FLAGS               stspi_open_lsu_list_v11(FLAGS), then the list: count=
 *   delete NAME [FLAGS]          stspi_delete_image_v10(FLAGS, default 0)
 *   restore NAME PATH [CHUNK]    open for read, read it all (CHUNK bytes per call, default
 *                                768 KiB) into PATH, close: bytes=
 *   strict NAME                  pointer, handle and string checks that must stay strict:
 *                                each check's status as a key=value (the Rust side judges)
 *   ping                         RC 0
 *   quit                         close the handle (incomplete) if one is open, close the
 *                                server, terminate; then the process exits
 *
 * Any other mode is driver.c's. Every command re-arms alarm(DUR_TIMEOUT seconds, default 180):
 * a hang kills the worker (SIGALRM) and fails the test instead of blocking CI.
 */
#define main vast_driver_main
#include "../c/driver.c"
#undef main

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

int vast_driver_main(int argc, char **argv);

/* delete's asynchronous flag as a caller passes it (the plugin deletes synchronously). */
#ifdef STS_DELETE_ASYNC
#define DUR_DELETE_ASYNC STS_DELETE_ASYNC
#else
#define DUR_DELETE_ASYNC 1u
#endif

static int model_fd = -1;
static sts_image_handle_t cur = 0;
static unsigned timeout_secs = 180;

static void reply(sts_status_t rc, const char *fmt, ...) {
    printf("RC %d", (int)rc);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        putchar(' ');
        vprintf(fmt, ap);
        va_end(ap);
    }
    putchar('\n');
    fflush(stdout);
}

/* A named image definition (the date and copy/fragment numbers are driver.c's). */
static sts_image_def_t def_of(const char *name) { return image_def(name); }

static uint32_t parse_u32(const char *s, uint32_t dflt) {
    return s ? (uint32_t)strtoul(s, NULL, 0) : dflt;
}

static uint64_t parse_u64(const char *s, uint64_t dflt) {
    return s ? strtoull(s, NULL, 0) : dflt;
}

static int set_model(const char *path) {
    if (model_fd >= 0) close(model_fd);
    model_fd = open(path, O_RDONLY);
    return model_fd >= 0;
}

/* Reads [off, off+len) of the model; 0 on success. */
static int model_read(uint8_t *buf, uint64_t len, uint64_t off) {
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pread(model_fd, buf + done, (size_t)(len - done), (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (uint64_t)n;
    }
    return 0;
}

static void flags_kv(char *out, size_t cap, uint64_t size, uint32_t f) {
    snprintf(out, cap,
             "size=%" PRIu64 " flags=0x%x pending=%d created=%d busy_write=%d busy_read=%d", size,
             f, (f & STS_II_IMAGE_PENDING) ? 1 : 0, (f & STS_II_IMAGE_CREATED) ? 1 : 0,
             (f & STS_II_BUSY_WRITE) ? 1 : 0, (f & STS_II_BUSY_READ) ? 1 : 0);
}

static void wait_go(void) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) exit(0);
}

static void cmd_write(char **a, int n) {
    if (n < 4 || !cur || model_fd < 0) {
        reply(STS_EINVAL, "driver_error=%s", !cur ? "no-handle" : model_fd < 0 ? "no-model" : "usage");
        return;
    }
    uint64_t off = parse_u64(a[1], 0), len = parse_u64(a[2], 0), chunk = parse_u64(a[3], 0);
    uint64_t pause_after = n > 4 ? parse_u64(a[4], 0) : 0;
    if (chunk == 0 || chunk > STS_MAX_IO) {
        reply(STS_EINVAL, "driver_error=chunk");
        return;
    }
    uint8_t *buf = malloc((size_t)chunk);
    if (!buf) fail("out of memory");
    uint64_t end = off + len, calls = 0;
    sts_status_t rc = STS_EOK;
    int shortw = 0;
    sts_stat_t stat = {STS_STAT_VERSION, 0, 0};
    while (off < end) {
        uint64_t l = end - off < chunk ? end - off : chunk;
        if (model_read(buf, l, off) != 0) {
            free(buf);
            reply(STS_EINVAL, "driver_error=model-too-short acked=%" PRIu64, off);
            return;
        }
        uint64_t written = 0;
        stat.st_size = off;
        rc = api.stspi_write_image(cur, &stat, buf, l, off, &written);
        calls++;
        if (rc != STS_EOK) break;
        if (written != l) {
            off += written;
            shortw = 1;
            break;
        }
        off += l;
        if (pause_after && calls == pause_after) {
            printf("PAUSED acked=%" PRIu64 "\n", off);
            fflush(stdout);
            wait_go();
            alarm(timeout_secs);
        }
    }
    free(buf);
    reply(rc, "acked=%" PRIu64 " calls=%" PRIu64 " short=%d", off, calls, shortw);
}

static void cmd_props(const char *name) {
    sts_image_def_t def = def_of(name);
    sts_image_info_t info;
    memset(&info, 0, sizeof info);
    sts_status_t rc = api.stspi_get_image_prop_byname_v10(&lsu, &def, 0, &info);
    char kv[256] = "";
    if (rc == STS_EOK) flags_kv(kv, sizeof kv, info.imo_size, info.imo_flags);
    reply(rc, "%s", kv);
}

static void cmd_hprops(void) {
    sts_image_info_t info;
    memset(&info, 0, sizeof info);
    sts_status_t rc = api.stspi_get_image_prop(cur, &info);
    char kv[256] = "";
    if (rc == STS_EOK) flags_kv(kv, sizeof kv, info.imo_size, info.imo_flags);
    reply(rc, "%s", kv);
}

static void cmd_list(const char *name, uint32_t extra) {
    sts_list_handle_t list = 0;
    sts_image_filter_t filter;
    memset(&filter, 0, sizeof filter);
    snprintf(filter.if_prefix, sizeof filter.if_prefix, "%s", name);
    filter.if_flags = STS_IF_INCLUDE_PENDING | extra;
    sts_status_t rc = api.stspi_open_image_list_v10(&lsu, &filter, &list);
    if (rc != STS_EOK) {
        reply(rc, "stage=open");
        return;
    }
    int found = 0;
    char kv[256] = "";
    sts_image_info_t info;
    while ((rc = api.stspi_list_image_v10(list, &info)) == STS_EOK) {
        if (strcmp(info.imo_def.img_basename, name) == 0) {
            found++;
            flags_kv(kv, sizeof kv, info.imo_size, info.imo_flags);
        }
    }
    sts_status_t crc = api.stspi_close_image_list(list);
    if (rc != STS_ENO_MORE_ENTRIES) {
        reply(rc, "stage=list found=%d", found);
        return;
    }
    reply(crc, "found=%d %s", found, kv);
}

static void cmd_lsu_list(uint32_t flags) {
    sts_list_handle_t list = 0;
    sts_status_t rc = api.stspi_open_lsu_list_v11(server, flags, &list);
    if (rc != STS_EOK) {
        reply(rc, "stage=open");
        return;
    }
    int count = 0;
    sts_lsu_name_t name;
    while ((rc = api.stspi_list_lsu(list, &name)) == STS_EOK) count++;
    sts_status_t crc = api.stspi_close_lsu_list(list);
    if (rc != STS_ENO_MORE_ENTRIES) {
        reply(rc, "stage=list count=%d", count);
        return;
    }
    reply(crc, "count=%d", count);
}

static void cmd_restore(const char *name, const char *path, uint64_t chunk) {
    sts_image_def_t def = def_of(name);
    sts_image_handle_t img = 0;
    sts_status_t rc = api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img);
    if (rc != STS_EOK) {
        reply(rc, "stage=open bytes=0");
        return;
    }
    FILE *out = fopen(path, "wb");
    uint8_t *buf = malloc((size_t)chunk);
    if (!out || !buf) fail("restore: cannot open %s or allocate", path);
    uint64_t off = 0;
    for (;;) {
        uint64_t got = 0;
        rc = api.stspi_read_image(img, buf, chunk, off, &got);
        if (rc != STS_EOK || got == 0) break;
        if (fwrite(buf, 1, (size_t)got, out) != got) fail("restore: short write to %s", path);
        off += got;
    }
    free(buf);
    if (fclose(out) != 0) fail("restore: closing %s", path);
    sts_status_t crc = api.stspi_close_image(img, 0);
    if (rc != STS_EOK) {
        reply(rc, "stage=read bytes=%" PRIu64, off);
        return;
    }
    reply(crc, "bytes=%" PRIu64, off);
}

/* Checks that must stay strict however tolerant flags become: each one's status. */
static void cmd_strict(const char *name) {
    sts_image_def_t def = def_of(name);
    sts_image_handle_t img = 0;
    uint8_t b[512];
    uint64_t n = 0;
    memset(b, 0x11, sizeof b);
    sts_status_t null_def = api.stspi_create_image_v10(&lsu, NULL, 0, &img);
    sts_status_t null_out = api.stspi_create_image_v10(&lsu, &def, 0, NULL);
    sts_status_t null_lsu = api.stspi_open_image_v10(NULL, &def, STS_O_WRITE, &img);
    sts_lsu_t forged = lsu;
    forged.lsu_server = server + 7777;
    sts_status_t forged_server = api.stspi_create_image_v10(&forged, &def, 0, &img);
    sts_image_def_t unterminated = def;
    memset(unterminated.img_basename, 'a', sizeof unterminated.img_basename);
    sts_status_t unterminated_name = api.stspi_create_image_v10(&lsu, &unterminated, 0, &img);
    sts_image_def_t slash = def_of("a/b");
    sts_status_t slash_name = api.stspi_create_image_v10(&lsu, &slash, 0, &img);
    sts_status_t forged_handle = api.stspi_write_image((sts_image_handle_t)0x7fff1234, NULL, b, sizeof b, 0, &n);
    sts_status_t null_buf = cur ? api.stspi_write_image(cur, NULL, NULL, sizeof b, 0, &n) : -1;
    sts_status_t null_info = api.stspi_get_image_prop_byname_v10(&lsu, &def, 0, NULL);
    sts_status_t null_delete_def = api.stspi_delete_image_v10(&lsu, NULL, DUR_DELETE_ASYNC);
    sts_status_t null_list_out = api.stspi_open_lsu_list_v11(server, 0x80000000u, NULL);
    sts_status_t stale_close = api.stspi_close_image((sts_image_handle_t)0x7fff1234, 0);
    reply(STS_EOK,
          "null_def=%d null_out=%d null_lsu=%d forged_server=%d unterminated_name=%d "
          "slash_name=%d forged_handle=%d null_buf=%d null_info=%d null_delete_def=%d "
          "null_list_out=%d stale_close=%d",
          (int)null_def, (int)null_out, (int)null_lsu, (int)forged_server, (int)unterminated_name,
          (int)slash_name, (int)forged_handle, (int)null_buf, (int)null_info, (int)null_delete_def,
          (int)null_list_out, (int)stale_close);
}

static int run_worker(void) {
    start(0);
    printf("READY %s pid=%ld\n", lsu.lsu_name, (long)getpid());
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        alarm(0);
        ssize_t got = getline(&line, &cap, stdin);
        if (got < 0) break; /* the test closed stdin: leave as a crash would, without cleanup */
        alarm(timeout_secs);
        char *a[8] = {0};
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8; t = strtok_r(NULL, " \t\r\n", &save))
            a[n++] = t;
        if (n == 0) continue;
        const char *c = a[0];
        if (!strcmp(c, "ping")) {
            reply(STS_EOK, "pid=%ld", (long)getpid());
        } else if (!strcmp(c, "model") && n >= 2) {
            reply(set_model(a[1]) ? STS_EOK : STS_EINVAL, "");
        } else if (!strcmp(c, "create") && n >= 2) {
            sts_image_def_t def = def_of(a[1]);
            sts_image_handle_t img = 0;
            sts_status_t rc = api.stspi_create_image_v10(&lsu, &def, parse_u32(n > 2 ? a[2] : NULL, 0), &img);
            if (rc == STS_EOK) cur = img;
            reply(rc, "");
        } else if (!strcmp(c, "create7") && n >= 3) {
            sts_image_def_t def = def_of(a[1]);
            sts_image_handle_t img = 0;
            sts_status_t rc = api.stspi_create_image_v7(&lsu, &def, (int32_t)strtol(a[2], NULL, 0), &img);
            if (rc == STS_EOK) cur = img;
            reply(rc, "");
        } else if (!strcmp(c, "open-write") && n >= 2) {
            sts_image_def_t def = def_of(a[1]);
            sts_image_handle_t img = 0;
            sts_status_t rc = api.stspi_open_image_v10(&lsu, &def, STS_O_WRITE | parse_u32(n > 2 ? a[2] : NULL, 0), &img);
            if (rc == STS_EOK) cur = img;
            reply(rc, "");
        } else if (!strcmp(c, "write")) {
            cmd_write(a, n);
        } else if (!strcmp(c, "flush")) {
            reply(api.stspi_flush_image(cur), "");
        } else if (!strcmp(c, "close-incomplete") || !strcmp(c, "close-complete")) {
            uint32_t f = !strcmp(c, "close-complete") ? STS_CLOSEF_IH_COMPLETE : STS_CLOSEF_IH_INCOMPLETE;
            sts_status_t rc = api.stspi_close_image(cur, f);
            cur = 0;
            reply(rc, "");
        } else if (!strcmp(c, "hprops")) {
            cmd_hprops();
        } else if (!strcmp(c, "props") && n >= 2) {
            cmd_props(a[1]);
        } else if (!strcmp(c, "list") && n >= 2) {
            cmd_list(a[1], parse_u32(n > 2 ? a[2] : NULL, 0));
        } else if (!strcmp(c, "lsu-list")) {
            cmd_lsu_list(parse_u32(n > 1 ? a[1] : NULL, 0));
        } else if (!strcmp(c, "delete") && n >= 2) {
            sts_image_def_t def = def_of(a[1]);
            reply(api.stspi_delete_image_v10(&lsu, &def, parse_u32(n > 2 ? a[2] : NULL, 0)), "");
        } else if (!strcmp(c, "restore") && n >= 3) {
            cmd_restore(a[1], a[2], parse_u64(n > 3 ? a[3] : NULL, READ_BUF));
        } else if (!strcmp(c, "strict") && n >= 2) {
            cmd_strict(a[1]);
        } else if (!strcmp(c, "quit")) {
            if (cur) api.stspi_close_image(cur, STS_CLOSEF_IH_INCOMPLETE);
            cur = 0;
            sts_status_t rc = api.stspi_close_server(server);
            sts_status_t trc = api.stspi_terminate();
            reply(rc != STS_EOK ? rc : trc, "");
            break;
        } else {
            reply(STS_EINVAL, "driver_error=unknown-command");
        }
    }
    free(line);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s LIB SERVER worker [MODEL] (see the header of dur_driver.c)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *t = getenv("DUR_TIMEOUT");
    if (t && atoi(t) > 0) timeout_secs = (unsigned)atoi(t);
    server_name = argv[2];
    mode = argv[3];
    if (strcmp(mode, "worker") != 0) return vast_driver_main(argc, argv);
    alarm(timeout_secs);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    if (resolve_all(lib) < 0) return 1;
    if (argc > 4 && !set_model(argv[4])) {
        printf("FAIL: model %s cannot be opened\n", argv[4]);
        return 1;
    }
    int rc = run_worker();
    /* No dlclose: a worker told to quit has terminated the plugin; one whose stdin closed
       leaves like a crashing process. */
    _exit(rc);
}
