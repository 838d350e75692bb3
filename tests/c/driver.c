/*
 * driver.c: a NetBackup-style driver for libstspiVastDataMT.so.
 *
 * It dlopen()s the plugin, resolves every stspi_* entry point by name (as NetBackup's OST core
 * does) and plays NetBackup's call sequences, printing each step. The exit code is non-zero on
 * the first failure.
 *
 *   driver LIB SERVER full  [SIZE]   the whole lifecycle (init ... terminate)
 *   driver LIB SERVER bad            bad input: NULLs, forged/stale handles, long names, double
 *                                    close, calls before init; only documented codes, no crash
 *   driver LIB SERVER demo-backup SIZE   backup, list, restore-and-verify, duplicate (with progress)
 *   driver LIB SERVER demo-expire        expire (delete) what demo-backup left
 *   driver LIB SERVER bench-put FILE NAME CALL [STREAMS [LIMIT]]   STREAMS threads each back FILE
 *                                    (its first LIMIT bytes) up as image NAME_s<i> in CALL-byte
 *                                    write_image calls (timed)
 *   driver LIB SERVER bench-get NAME FILE CALL [STREAMS]   STREAMS threads each restore NAME_s<i>
 *                                    (one stream: into FILE; "-" discards), timed
 *   driver LIB SERVER bench-delete NAME [STREAMS]   delete NAME_s0 .. NAME_s<STREAMS-1>
 *   driver LIB SERVER bench-small PREFIX COUNT SIZE  create, list and delete COUNT small images
 *   driver LIB SERVER list PREFIX    print `IMAGE <basename> <size>` for each image of the first LSU
 *                                    whose name starts with PREFIX (one media server's view)
 *
 * Interfaces: VAST_OST_INTERFACES, when set, is stspi_open_server's interfaces argument.
 * Credentials: VAST_OST_USER / VAST_OST_PASSWORD when set (STS_CRED_CLEAR), else the plugin's
 * configured ones. The plugin reads its configuration from VAST_OST_CONFIG.
 *
 * Only the header's types and constants are used; functions are reached through dlsym, never
 * linked, so the program also checks that every name is exported.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stspi_vast.h"

/* ---- entry points, resolved by name -------------------------------------------------------- */

#define ENTRY_POINTS(X)                                                                            \
    X(stspi_init) X(stspi_claim) X(stspi_terminate) X(stspi_open_server) X(stspi_close_server)     \
    X(stspi_get_server_prop) X(stspi_get_server_prop_byname) X(stspi_open_lsu_list_v11)            \
    X(stspi_open_lsu_list_v9) X(stspi_list_lsu) X(stspi_close_lsu_list)                            \
    X(stspi_get_lsu_prop_byname_v11) X(stspi_get_lsu_prop_byname_v9) X(stspi_label_lsu)            \
    X(stspi_create_image_v10) X(stspi_create_image_v7) X(stspi_open_image_v10)                     \
    X(stspi_open_image_v9) X(stspi_write_image) X(stspi_read_image) X(stspi_flush_image)           \
    X(stspi_close_image) X(stspi_get_image_prop) X(stspi_get_image_prop_byname_v10)                \
    X(stspi_get_image_prop_byname_v9) X(stspi_delete_image_v10) X(stspi_delete_image_v9)           \
    X(stspi_open_image_list_v10) X(stspi_list_image_v10) X(stspi_close_image_list)                 \
    X(stspi_write_image_meta) X(stspi_read_image_meta) X(stspi_copy_image_v9)                      \
    X(stspi_async_copy_image_v11) X(stspi_query_operation_v11) X(stspi_cancel_operation_v11)       \
    X(stspi_close_operation_v11) X(stspi_open_evchannel_v11) X(stspi_get_event_v11)                \
    X(stspi_close_evchannel_v9)

static struct {
#define FIELD(name) __typeof__(&name) name;
    ENTRY_POINTS(FIELD)
#undef FIELD
} api;

static int resolve_all(void *lib) {
    int n = 0;
#define RESOLVE(name)                                                                              \
    api.name = (__typeof__(&name))dlsym(lib, #name);                                               \
    if (!api.name) {                                                                               \
        fprintf(stderr, "FAIL: entry point %s not exported\n", #name);                             \
        return -1;                                                                                 \
    }                                                                                              \
    n++;
    ENTRY_POINTS(RESOLVE)
#undef RESOLVE
    return n;
}

/* ---- reporting ------------------------------------------------------------------------------ */

static int step_no = 0;
static const char *mode = "";

static void step(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("[%s %02d] ", mode, ++step_no);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    exit(1);
}

/* Checks a status: exits unless it equals `want`. */
static void expect(const char *what, sts_status_t got, sts_status_t want) {
    if (got != want) fail("%s returned %d, expected %d", what, (int)got, (int)want);
}

#define OK(call) expect(#call, (call), STS_EOK)

/* The bad-input mode prints each check. */
static int checks = 0;
static void check(const char *what, sts_status_t got, sts_status_t want) {
    checks++;
    if (got != want) fail("bad-input check \"%s\": got %d, expected %d", what, (int)got, (int)want);
    printf("  ok  %-62s -> %d\n", what, (int)got);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- data: a reproducible stream and its checksum -------------------------------------------- */

/* The image content is a function of (seed, offset), so a resumed write can regenerate any part. */
static uint64_t word_at(uint64_t seed, uint64_t index) {
    uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Fills buf with the content at [offset, offset+len); offset and len are multiples of 8. */
static void fill(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len) {
    for (size_t i = 0; i < len; i += 8) {
        uint64_t x = word_at(seed, (offset + i) / 8);
        memcpy(buf + i, &x, 8);
    }
}

/* FNV-1a over 64-bit words (tail bytes one by one). */
static uint64_t sum_update(uint64_t h, const uint8_t *buf, size_t len) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    for (; i < len; i++) h = (h ^ buf[i]) * 0x100000001b3ULL;
    return h;
}
#define SUM_INIT 0xcbf29ce484222325ULL

static uint64_t expected_sum(uint64_t seed, uint64_t size);

/* ---- helpers over the API -------------------------------------------------------------------- */

static sts_server_handle_t server;
static sts_lsu_t lsu;
static const char *server_name;

#define BLOCK (256 * 1024)         /* NetBackup writes 256 KiB multiples */
#define WRITE_BUF (4 * BLOCK)      /* 1 MiB per write */
#define READ_BUF (3 * BLOCK)       /* 768 KiB per read: not aligned to writes on purpose */

static sts_image_def_t image_def(const char *basename) {
    sts_image_def_t d;
    memset(&d, 0, sizeof d);
    snprintf(d.img_basename, sizeof d.img_basename, "%s", basename);
    snprintf(d.img_date, sizeof d.img_date, "%s", "20261125120000");
    return d;
}

static sts_cred_t credentials(void) {
    sts_cred_t c;
    memset(&c, 0, sizeof c);
    const char *u = getenv("VAST_OST_USER"), *p = getenv("VAST_OST_PASSWORD");
    if (u && p) {
        c.cr_type = STS_CRED_CLEAR;
        snprintf(c.cr_user, sizeof c.cr_user, "%s", u);
        snprintf(c.cr_password, sizeof c.cr_password, "%s", p);
    } else {
        c.cr_type = STS_CRED_NONE;
    }
    return c;
}

static void progress(const char *what, uint64_t done, uint64_t total, double t0, int show) {
    if (!show) return;
    int width = 40, filled = total ? (int)((double)done / (double)total * width) : width;
    double secs = now_s() - t0;
    double mibs = secs > 0 ? (double)done / (1 << 20) / secs : 0;
    printf("\r  %-9s [", what);
    for (int i = 0; i < width; i++) putchar(i < filled ? '#' : '.');
    printf("] %6.1f%% %8.1f MiB/s", total ? 100.0 * (double)done / (double)total : 100.0, mibs);
    if (done >= total) printf("\n");
    fflush(stdout);
}

#define CHUNK (1u << 20)
static uint64_t expected_sum(uint64_t seed, uint64_t size) {
    uint8_t *buf = malloc(CHUNK);
    if (!buf) fail("out of memory");
    uint64_t h = SUM_INIT;
    for (uint64_t off = 0; off < size; off += CHUNK) {
        size_t len = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        fill(seed, off, buf, len);
        h = sum_update(h, buf, len);
    }
    free(buf);
    return h;
}

/* Writes the content of `seed` at [offset, end) in 256 KiB-multiple buffers. */
static void write_stream(sts_image_handle_t img, uint64_t seed, uint64_t offset, uint64_t end, int show) {
    uint8_t *buf = malloc(WRITE_BUF);
    if (!buf) fail("out of memory");
    double t0 = now_s();
    uint64_t start = offset, last_shown = 0;
    sts_stat_t stat = {STS_STAT_VERSION, 0, 0};
    while (offset < end) {
        uint64_t len = end - offset < WRITE_BUF ? end - offset : WRITE_BUF;
        if (len % BLOCK) fail("write length %" PRIu64 " is not a 256 KiB multiple", len);
        fill(seed, offset, buf, len);
        uint64_t written = 0;
        stat.st_size = offset;
        sts_status_t rc = api.stspi_write_image(img, &stat, buf, len, offset, &written);
        if (rc != STS_EOK) fail("stspi_write_image at %" PRIu64 " returned %d", offset, (int)rc);
        if (written != len) fail("stspi_write_image wrote %" PRIu64 " of %" PRIu64, written, len);
        offset += len;
        if (offset - last_shown >= (64u << 20) || offset == end) {
            progress("backup", offset - start, end - start, t0, show);
            last_shown = offset;
        }
    }
    free(buf);
}

/* Reads a whole image; returns its checksum and sets *size. */
static uint64_t read_back(const sts_image_def_t *def, uint64_t expect_size, uint64_t *size, int show,
                          int use_v9) {
    sts_image_handle_t img = 0;
    if (use_v9)
        OK(api.stspi_open_image_v9(&lsu, def, &img));
    else
        OK(api.stspi_open_image_v10(&lsu, def, STS_O_READ, &img));
    uint8_t *buf = malloc(READ_BUF);
    if (!buf) fail("out of memory");
    uint64_t off = 0, h = SUM_INIT, last_shown = 0;
    double t0 = now_s();
    for (;;) {
        uint64_t got = 0;
        sts_status_t rc = api.stspi_read_image(img, buf, READ_BUF, off, &got);
        if (rc != STS_EOK) fail("stspi_read_image at %" PRIu64 " returned %d", off, (int)rc);
        if (got == 0) break;
        h = sum_update(h, buf, got);
        off += got;
        if (off - last_shown >= (64u << 20) || off == expect_size) {
            progress("restore", off, expect_size, t0, show);
            last_shown = off;
        }
    }
    free(buf);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_INCOMPLETE));
    *size = off;
    return h;
}

static sts_image_info_t props(const sts_image_def_t *def) {
    sts_image_info_t info;
    OK(api.stspi_get_image_prop_byname_v10(&lsu, def, 0, &info));
    return info;
}

static int image_listed(const char *basename) {
    sts_list_handle_t list = 0;
    sts_image_filter_t filter;
    memset(&filter, 0, sizeof filter);
    snprintf(filter.if_prefix, sizeof filter.if_prefix, "%s", basename);
    OK(api.stspi_open_image_list_v10(&lsu, &filter, &list));
    int found = 0;
    sts_image_info_t info;
    sts_status_t rc;
    while ((rc = api.stspi_list_image_v10(list, &info)) == STS_EOK)
        if (strcmp(info.imo_def.img_basename, basename) == 0) found = 1;
    expect("stspi_list_image_v10 at the end", rc, STS_ENO_MORE_ENTRIES);
    OK(api.stspi_close_image_list(list));
    return found;
}

/* init + claim + open server + first LSU. */
static void start(int show_info) {
    stspi_plugin_info_t info;
    OK(api.stspi_init(STSPI_API_VERSION, &info));
    if (strcmp(info.spi_prefix, STSPI_PREFIX) != 0) fail("prefix is \"%s\"", info.spi_prefix);
    if (show_info)
        step("stspi_init: prefix %s, label \"%s\", build %s, vendor \"%s\", API v%u", info.spi_prefix,
             info.spi_label, info.spi_build_version, info.spi_vendor_version, info.spi_api_version);
    OK(api.stspi_claim(server_name));
    expect("stspi_claim(pd://other)", api.stspi_claim("PureDisk:other.example.com"), STS_ECLAIM);
    if (show_info) step("stspi_claim: accepts %s, refuses PureDisk:other.example.com", server_name);
    sts_cred_t cred = credentials();
    /* NetBackup's interfaces argument: VAST_OST_INTERFACES when set, else NULL. */
    OK(api.stspi_open_server(server_name, &cred, getenv("VAST_OST_INTERFACES"), &server));
    if (show_info)
        step("stspi_open_server: %s (%s credentials)", server_name,
             cred.cr_type == STS_CRED_CLEAR ? "NetBackup" : "configured");
    sts_list_handle_t list = 0;
    OK(api.stspi_open_lsu_list_v11(server, 0, &list));
    sts_lsu_name_t name;
    int n = 0;
    sts_status_t rc;
    memset(&lsu, 0, sizeof lsu);
    lsu.lsu_server = server;
    while ((rc = api.stspi_list_lsu(list, &name)) == STS_EOK) {
        if (n++ == 0) snprintf(lsu.lsu_name, sizeof lsu.lsu_name, "%s", name.sln_name);
        if (show_info) step("stspi_list_lsu: %s", name.sln_name);
    }
    expect("stspi_list_lsu at the end", rc, STS_ENO_MORE_ENTRIES);
    OK(api.stspi_close_lsu_list(list));
    if (n == 0) fail("no LSU");
}

static void finish(void) {
    OK(api.stspi_close_server(server));
    OK(api.stspi_terminate());
}

/* ---- many NetBackup threads at once: one image per thread ------------------------------------- */

#define THREADS 6
#define THREAD_SIZE (4u << 20)

typedef struct {
    int index;
    char error[256];
} thread_job_t;

/* Like the helpers above, but reporting instead of exiting (it runs on its own thread). */
static void *thread_main(void *arg) {
    thread_job_t *job = arg;
    char name[128];
    snprintf(name, sizeof name, "drv%ld_thr%d_C1_F1", (long)getpid(), job->index);
    sts_image_def_t def = image_def(name);
    uint64_t seed = 1000u + (uint64_t)job->index;
    uint8_t *buf = malloc(WRITE_BUF);
    sts_image_handle_t img = 0;
    sts_status_t rc = buf ? api.stspi_create_image_v10(&lsu, &def, 0, &img) : STS_ENOMEM;
    for (uint64_t off = 0; rc == STS_EOK && off < THREAD_SIZE; off += WRITE_BUF) {
        uint64_t n = 0;
        fill(seed, off, buf, WRITE_BUF);
        rc = api.stspi_write_image(img, NULL, buf, WRITE_BUF, off, &n);
    }
    if (rc == STS_EOK) rc = api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE);
    uint64_t h = SUM_INIT, total = 0;
    if (rc == STS_EOK) rc = api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img);
    while (rc == STS_EOK) {
        uint64_t n = 0;
        rc = api.stspi_read_image(img, buf, WRITE_BUF, total, &n);
        if (rc != STS_EOK || n == 0) break;
        h = sum_update(h, buf, n);
        total += n;
    }
    if (rc == STS_EOK) rc = api.stspi_close_image(img, 0);
    if (rc == STS_EOK && (total != THREAD_SIZE || h != expected_sum(seed, THREAD_SIZE)))
        snprintf(job->error, sizeof job->error, "%s does not verify", name);
    if (rc == STS_EOK) rc = api.stspi_delete_image_v10(&lsu, &def, 0);
    if (rc != STS_EOK) snprintf(job->error, sizeof job->error, "%s: status %d", name, (int)rc);
    free(buf);
    return NULL;
}

static void run_threads(void) {
    pthread_t tids[THREADS];
    thread_job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i].index = i;
        jobs[i].error[0] = 0;
        if (pthread_create(&tids[i], NULL, thread_main, &jobs[i]) != 0) fail("pthread_create");
    }
    for (int i = 0; i < THREADS; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (jobs[i].error[0]) fail("thread %d: %s", i, jobs[i].error);
}

/* ---- full: the whole NetBackup sequence ------------------------------------------------------- */

static int run_full(uint64_t size) {
    char name_a[128], name_b[128], name_c2[128], name_c3[128], name_c4[128];
    long pid = (long)getpid();
    snprintf(name_a, sizeof name_a, "drv%ld_1700000000_C1_F1", pid);
    snprintf(name_b, sizeof name_b, "drv%ld_1700000001_C1_F1", pid);
    snprintf(name_c2, sizeof name_c2, "drv%ld_1700000000_C2_F1", pid);
    snprintf(name_c3, sizeof name_c3, "drv%ld_1700000000_C3_F1", pid);
    snprintf(name_c4, sizeof name_c4, "drv%ld_1700000000_C4_F1", pid);

    start(1);

    sts_server_info_t si;
    OK(api.stspi_get_server_prop(server, &si));
    step("stspi_get_server_prop: %s cluster \"%s\" %s state %s, data path %s, caps 0x%" PRIx64
         ", flags 0x%x",
         si.srv_server, si.srv_cluster, si.srv_cluster_version, si.srv_cluster_state,
         si.srv_data_path == STS_DATA_PATH_NFS ? "nfs" : "s3", si.srv_cap, si.srv_flags);
    sts_cred_t cred = credentials();
    sts_server_info_t si2;
    OK(api.stspi_get_server_prop_byname(server_name, &cred, &si2));
    if (strcmp(si.srv_server, si2.srv_server) != 0) fail("prop_byname names another server");
    step("stspi_get_server_prop_byname: %s", si2.srv_server);
    int nfs = si.srv_data_path == STS_DATA_PATH_NFS;

    sts_list_handle_t l9 = 0;
    OK(api.stspi_open_lsu_list_v9(server, &l9));
    OK(api.stspi_close_lsu_list(l9));
    step("stspi_open_lsu_list_v9 / close: ok");

    sts_lsu_info_t li;
    OK(api.stspi_get_lsu_prop_byname_v11(&lsu, &li));
    step("stspi_get_lsu_prop_byname_v11: %s capacity %" PRIu64 " used %" PRIu64 " phys %" PRIu64
         " flags 0x%x",
         li.lsu_name, li.lsu_capacity, li.lsu_used, li.lsu_used_phys, li.lsu_flags);
    sts_lsu_info_v9_t li9;
    OK(api.stspi_get_lsu_prop_byname_v9(&lsu, &li9));
    if (strcmp(li9.lsu_name, li.lsu_name) != 0) fail("v9 LSU name differs");
    step("stspi_get_lsu_prop_byname_v9: %s used %" PRIu64, li9.lsu_name, li9.lsu_used);

    sts_status_t rc = api.stspi_label_lsu(&lsu, "driver label");
    if (nfs) {
        expect("stspi_label_lsu on NFS", rc, STS_ENOTSUP);
        step("stspi_label_lsu: not supported on the NFS data path (STS_ENOTSUP), as documented");
    } else {
        expect("stspi_label_lsu", rc, STS_EOK);
        OK(api.stspi_get_lsu_prop_byname_v11(&lsu, &li));
        if (strcmp(li.lsu_label, "driver label") != 0) fail("label is \"%s\"", li.lsu_label);
        step("stspi_label_lsu: label \"%s\"", li.lsu_label);
    }

    sts_evc_handle_t evc = 0;
    OK(api.stspi_open_evchannel_v11(server, &evc));
    step("stspi_open_evchannel_v11: channel open");

    /* backup: create, write in 256 KiB multiples, close complete */
    sts_image_def_t a = image_def(name_a);
    sts_image_handle_t img = 0;
    OK(api.stspi_create_image_v10(&lsu, &a, 0, &img));
    step("stspi_create_image_v10: %s", name_a);
    const uint64_t seed_a = 0x9E3779B97F4A7C15ULL, seed_b = 0x1234567887654321ULL;
    uint64_t half = (size / 2) / BLOCK * BLOCK;
    uint64_t sum_a = expected_sum(seed_a, size);
    write_stream(img, seed_a, 0, half, 0);
    sts_image_info_t live;
    OK(api.stspi_get_image_prop(img, &live));
    if (!(live.imo_flags & STS_II_IMAGE_PENDING) || !(live.imo_flags & STS_II_BUSY_WRITE))
        fail("image flags while writing are 0x%x", live.imo_flags);
    if (live.imo_size != half) fail("live size %" PRIu64 " != %" PRIu64, live.imo_size, half);
    step("stspi_get_image_prop while writing: size %" PRIu64 ", PENDING|BUSY_WRITE", live.imo_size);
    OK(api.stspi_flush_image(img));
    write_stream(img, seed_a, half, size, 0);
    step("stspi_write_image: %" PRIu64 " bytes in %d KiB buffers", size, WRITE_BUF / 1024);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    sts_image_info_t pa = props(&a);
    if (pa.imo_size != size || !(pa.imo_flags & STS_II_IMAGE_CREATED) ||
        (pa.imo_flags & STS_II_IMAGE_PENDING))
        fail("after close complete: size %" PRIu64 " flags 0x%x", pa.imo_size, pa.imo_flags);
    step("stspi_close_image(COMPLETE): sealed, size %" PRIu64 ", IMAGE_CREATED", pa.imo_size);
    expect("stspi_open_image_v10(WRITE) of a sealed image",
           api.stspi_open_image_v10(&lsu, &a, STS_O_WRITE, &img), STS_EPERM);
    expect("stspi_create_image_v10 of an existing image", api.stspi_create_image_v10(&lsu, &a, 0, &img),
           STS_EEXIST);
    step("sealed image refuses write (STS_EPERM) and re-create (STS_EEXIST)");

    if (!image_listed(name_a)) fail("%s not listed", name_a);
    step("stspi_open_image_list_v10 / list_image_v10: %s listed", name_a);

    uint64_t got_size = 0;
    uint64_t sum_r = read_back(&a, size, &got_size, 0, 0);
    if (got_size != size || sum_r != sum_a)
        fail("restore: %" PRIu64 " bytes, checksum %016" PRIx64 " (wrote %016" PRIx64 ")", got_size,
             sum_r, sum_a);
    step("stspi_open_image_v10 + read_image: %" PRIu64 " bytes, checksum %016" PRIx64 " verified",
         got_size, sum_r);

    /* checkpoint and resume (create with v7) */
    sts_image_def_t b = image_def(name_b);
    OK(api.stspi_create_image_v7(&lsu, &b, 1, &img));
    uint64_t sum_b = expected_sum(seed_b, size);
    write_stream(img, seed_b, 0, half, 0);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_INCOMPLETE));
    sts_image_info_t pb = props(&b);
    if (!(pb.imo_flags & STS_II_IMAGE_PENDING) || pb.imo_size > half)
        fail("after checkpoint: flags 0x%x size %" PRIu64, pb.imo_flags, pb.imo_size);
    step("checkpoint: stspi_create_image_v7, %" PRIu64 " bytes written, close(INCOMPLETE): PENDING, "
         "%" PRIu64 " bytes durable",
         half, pb.imo_size);
    OK(api.stspi_open_image_v10(&lsu, &b, STS_O_WRITE, &img));
    OK(api.stspi_get_image_prop(img, &live));
    uint64_t resume_at = live.imo_size;
    if (resume_at != pb.imo_size || resume_at % BLOCK)
        fail("resumed at %" PRIu64 ", checkpoint said %" PRIu64, resume_at, pb.imo_size);
    write_stream(img, seed_b, resume_at, size, 0);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    sum_r = read_back(&b, size, &got_size, 0, 1);
    if (got_size != size || sum_r != sum_b) fail("resumed image does not verify");
    step("resume: stspi_open_image_v10(WRITE) continues at %" PRIu64
         ", close complete, read back (v9) verified",
         resume_at);

    /* copy (optimized duplication) */
    sts_image_def_t c2 = image_def(name_c2);
    uint64_t copied = 0;
    OK(api.stspi_copy_image_v9(&lsu, &a, &lsu, &c2, &copied));
    if (copied != size) fail("copied %" PRIu64 " bytes", copied);
    sum_r = read_back(&c2, size, &got_size, 0, 0);
    if (sum_r != sum_a) fail("copy does not verify");
    step("stspi_copy_image_v9: %s -> %s, %" PRIu64 " bytes, verified", name_a, name_c2, copied);

    /* async copy with query */
    sts_image_def_t c3 = image_def(name_c3);
    sts_op_handle_t op = 0;
    OK(api.stspi_async_copy_image_v11(&lsu, &a, &lsu, &c3, &op));
    sts_op_status_t st;
    int polls = 0;
    do {
        OK(api.stspi_query_operation_v11(op, &st));
        polls++;
        if (st.op_state == STS_OP_RUNNING) sleep_ms(20);
    } while (st.op_state == STS_OP_RUNNING && polls < 3000);
    if (st.op_state != STS_OP_DONE)
        fail("async copy ended in state %u (error %d)", st.op_state, (int)st.op_error);
    OK(api.stspi_close_operation_v11(op));
    if (props(&c3).imo_size != size) fail("async copy has the wrong size");
    step("stspi_async_copy_image_v11 + query_operation_v11: done after %d polls, %" PRIu64 "/%" PRIu64
         " bytes",
         polls, st.op_bytes_done, st.op_bytes_total);

    /* async copy with cancel */
    sts_image_def_t c4 = image_def(name_c4);
    OK(api.stspi_async_copy_image_v11(&lsu, &a, &lsu, &c4, &op));
    OK(api.stspi_cancel_operation_v11(op));
    polls = 0;
    do {
        OK(api.stspi_query_operation_v11(op, &st));
        if (st.op_state == STS_OP_RUNNING) sleep_ms(20);
    } while (st.op_state == STS_OP_RUNNING && ++polls < 3000);
    OK(api.stspi_close_operation_v11(op));
    sts_image_info_t i4;
    if (st.op_state == STS_OP_CANCELLED) {
        expect("get_image_prop_byname of a cancelled copy",
               api.stspi_get_image_prop_byname_v10(&lsu, &c4, 0, &i4), STS_ENOENT);
        step("stspi_cancel_operation_v11: cancelled, nothing of the copy left");
    } else if (st.op_state == STS_OP_DONE) {
        OK(api.stspi_delete_image_v10(&lsu, &c4, 0));
        step("stspi_cancel_operation_v11: the copy finished before the cancel (deleted it)");
    } else {
        fail("cancelled copy ended in state %u (error %d)", st.op_state, (int)st.op_error);
    }
    expect("query of a closed operation", api.stspi_query_operation_v11(op, &st), STS_EINVAL);

    /* image metadata */
    uint8_t meta[4096], back[4096];
    for (size_t i = 0; i < sizeof meta; i++) meta[i] = (uint8_t)(i * 7 + 3);
    uint64_t n = 0;
    OK(api.stspi_write_image_meta(&lsu, &a, meta, sizeof meta, 0, &n));
    if (n != sizeof meta) fail("meta wrote %" PRIu64, n);
    OK(api.stspi_read_image_meta(&lsu, &a, back, sizeof back, 0, &n));
    if (n != sizeof meta || memcmp(meta, back, sizeof meta) != 0) fail("metadata differs");
    expect("read_image_meta of an image without metadata",
           api.stspi_read_image_meta(&lsu, &b, back, sizeof back, 0, &n), STS_ENOENT);
    step("stspi_write_image_meta / read_image_meta: %zu bytes round-trip; none -> STS_ENOENT",
         sizeof meta);

    /* many threads */
    run_threads();
    step("%d threads at once: create, write %u MiB, close, read back verified, delete", THREADS,
         THREAD_SIZE >> 20);

    /* delete */
    const sts_image_def_t *all[] = {&a, &b, &c2, &c3};
    for (size_t i = 0; i < 4; i++) {
        if (i % 2)
            OK(api.stspi_delete_image_v9(&lsu, all[i]));
        else
            OK(api.stspi_delete_image_v10(&lsu, all[i], 0));
        sts_image_info_t gone;
        expect("get_image_prop_byname after delete",
               api.stspi_get_image_prop_byname_v9(&lsu, all[i], &gone), STS_ENOENT);
    }
    expect("delete of a deleted image", api.stspi_delete_image_v10(&lsu, &a, 0), STS_ENOENT);
    if (image_listed(name_a)) fail("%s still listed", name_a);
    step("stspi_delete_image_v10/_v9: 4 images gone (STS_ENOENT, unlisted)");

    /* events */
    int created = 0, deleted = 0, copies = 0, other = 0;
    sts_event_t ev;
    while ((rc = api.stspi_get_event_v11(evc, 500, &ev)) == STS_EOK) {
        switch (ev.ev_kind) {
        case STS_EV_IMAGE_CREATED: created++; break;
        case STS_EV_IMAGE_DELETED: deleted++; break;
        case STS_EV_COPY_DONE:
        case STS_EV_COPY_FAILED: copies++; break;
        default: other++;
        }
    }
    expect("stspi_get_event_v11 when drained", rc, STS_ENO_MORE_ENTRIES);
    if (created < 2 || deleted < 4 || copies < 1)
        fail("events: %d created, %d deleted, %d copy", created, deleted, copies);
    OK(api.stspi_close_evchannel_v9(evc));
    step("stspi_get_event_v11: %d image-created, %d image-deleted, %d copy, %d other events", created,
         deleted, copies, other);

    finish();
    step("stspi_close_server + stspi_terminate: ok");
    printf("driver full: all steps passed\n");
    return 0;
}

/* ---- bad input ------------------------------------------------------------------------------- */

static int run_bad(void) {
    stspi_plugin_info_t info;
    sts_server_handle_t h = 0;
    sts_list_handle_t list = 0;
    sts_lsu_name_t ln;
    sts_image_handle_t img = 0;
    uint8_t buf[4096];
    uint64_t n = 0;

    step("calls before stspi_init");
    check("stspi_claim before init", api.stspi_claim(server_name), STS_EINTERNAL);
    check("stspi_open_server before init", api.stspi_open_server(server_name, NULL, NULL, &h),
          STS_EINTERNAL);
    check("stspi_list_lsu before init", api.stspi_list_lsu(1, &ln), STS_EINTERNAL);
    check("stspi_close_image before init", api.stspi_close_image(1, 0), STS_EINTERNAL);
    check("stspi_terminate before init", api.stspi_terminate(), STS_EOK);

    step("stspi_init arguments");
    check("stspi_init(NULL info)", api.stspi_init(STSPI_API_VERSION, NULL), STS_EINVAL);
    check("stspi_init(core API 3)", api.stspi_init(3, &info), STS_ENOTSUP);
    check("stspi_init", api.stspi_init(STSPI_API_VERSION, &info), STS_EOK);
    check("stspi_init again", api.stspi_init(STSPI_API_VERSION, &info), STS_EOK);

    step("claim and open-server arguments");
    static char long_name[4 * STS_MAX_STSNAME];
    memset(long_name, 'a', sizeof long_name - 1);
    memcpy(long_name, "vast://", 7);
    check("stspi_claim(NULL)", api.stspi_claim(NULL), STS_EINVAL);
    check("stspi_claim(4 KiB name)", api.stspi_claim(long_name), STS_EINVAL);
    check("stspi_claim(other vendor)", api.stspi_claim("PureDisk:host"), STS_ECLAIM);
    check("stspi_open_server(NULL name)", api.stspi_open_server(NULL, NULL, NULL, &h), STS_EINVAL);
    check("stspi_open_server(NULL out)", api.stspi_open_server(server_name, NULL, NULL, NULL),
          STS_EINVAL);
    check("stspi_open_server(other vendor)", api.stspi_open_server("PureDisk:host", NULL, NULL, &h),
          STS_ECLAIM);
    sts_cred_t cred = credentials();
    sts_cred_t bad = cred;
    bad.cr_type = 99;
    check("stspi_open_server(unknown cred type)", api.stspi_open_server(server_name, &bad, NULL, &h),
          STS_EINVAL);
    bad = cred;
    bad.cr_type = STS_CRED_CLEAR;
    memset(bad.cr_user, 'u', sizeof bad.cr_user);
    check("stspi_open_server(user without NUL)", api.stspi_open_server(server_name, &bad, NULL, &h),
          STS_EINVAL);
    static char long_if[2 * STS_MAX_IF];
    memset(long_if, 'i', sizeof long_if - 1);
    check("stspi_open_server(over-long interfaces)",
          api.stspi_open_server(server_name, &cred, long_if, &h), STS_EINVAL);
    if (cred.cr_type == STS_CRED_CLEAR) {
        bad = cred;
        snprintf(bad.cr_password, sizeof bad.cr_password, "%s", "wrong-password");
        check("stspi_open_server(wrong password)", api.stspi_open_server(server_name, &bad, NULL, &h),
              STS_EAUTH);
    }
    check("stspi_open_server", api.stspi_open_server(server_name, &cred, NULL, &server), STS_EOK);

    step("forged and mixed-up handles");
    sts_server_info_t si;
    check("stspi_get_server_prop(forged)", api.stspi_get_server_prop(0xdeadbeef, &si), STS_EINVAL);
    check("stspi_get_server_prop(0)", api.stspi_get_server_prop(0, &si), STS_EINVAL);
    check("stspi_get_server_prop(NULL info)", api.stspi_get_server_prop(server, NULL), STS_EINVAL);
    check("stspi_close_server(forged)", api.stspi_close_server(0xdeadbeef), STS_EINVAL);
    check("stspi_open_lsu_list_v11(unknown flag bits ignored)",
          api.stspi_open_lsu_list_v11(server, 4, &list), STS_EOK);
    check("stspi_close_lsu_list", api.stspi_close_lsu_list(list), STS_EOK);
    check("stspi_list_lsu(forged)", api.stspi_list_lsu(0xfeedface, &ln), STS_EINVAL);
    check("stspi_list_lsu(server handle as list)", api.stspi_list_lsu(server, &ln), STS_EINVAL);
    check("stspi_close_lsu_list(forged)", api.stspi_close_lsu_list(77777), STS_EINVAL);
    check("stspi_write_image(forged)", api.stspi_write_image(0xabcdef, NULL, buf, 512, 0, &n),
          STS_EINVAL);
    check("stspi_read_image(server handle as image)",
          api.stspi_read_image(server, buf, sizeof buf, 0, &n), STS_EINVAL);
    check("stspi_close_image(forged)", api.stspi_close_image(0xabcdef, 0), STS_EINVAL);
    check("stspi_flush_image(forged)", api.stspi_flush_image(0xabcdef), STS_EINVAL);
    sts_op_status_t st;
    check("stspi_query_operation_v11(forged)", api.stspi_query_operation_v11(424242, &st),
          STS_EINVAL);
    check("stspi_cancel_operation_v11(forged)", api.stspi_cancel_operation_v11(424242), STS_EINVAL);
    sts_event_t ev;
    check("stspi_get_event_v11(forged)", api.stspi_get_event_v11(31337, 0, &ev), STS_EINVAL);
    check("stspi_close_evchannel_v9(forged)", api.stspi_close_evchannel_v9(31337), STS_EINVAL);

    step("LSU and image-definition arguments");
    OK(api.stspi_open_lsu_list_v11(server, 0, &list));
    OK(api.stspi_list_lsu(list, &ln));
    OK(api.stspi_close_lsu_list(list));
    check("stspi_close_lsu_list twice", api.stspi_close_lsu_list(list), STS_EINVAL);
    memset(&lsu, 0, sizeof lsu);
    lsu.lsu_server = server;
    snprintf(lsu.lsu_name, sizeof lsu.lsu_name, "%s", ln.sln_name);
    sts_lsu_t bad_lsu = lsu;
    memset(bad_lsu.lsu_name, 'l', sizeof bad_lsu.lsu_name);
    sts_lsu_info_t li;
    check("stspi_get_lsu_prop_byname_v11(NULL lsu)", api.stspi_get_lsu_prop_byname_v11(NULL, &li),
          STS_EINVAL);
    check("stspi_get_lsu_prop_byname_v11(name without NUL)",
          api.stspi_get_lsu_prop_byname_v11(&bad_lsu, &li), STS_EINVAL);
    snprintf(bad_lsu.lsu_name, sizeof bad_lsu.lsu_name, "%s", "Bad_Name!");
    check("stspi_get_lsu_prop_byname_v11(invalid name)",
          api.stspi_get_lsu_prop_byname_v11(&bad_lsu, &li), STS_EINVAL);
    bad_lsu = lsu;
    bad_lsu.lsu_server = 0xdeadbeef;
    check("stspi_get_lsu_prop_byname_v11(forged server)",
          api.stspi_get_lsu_prop_byname_v11(&bad_lsu, &li), STS_EINVAL);
    check("stspi_get_lsu_prop_byname_v9(NULL info)", api.stspi_get_lsu_prop_byname_v9(&lsu, NULL),
          STS_EINVAL);
    static char long_label[2 * STS_MAX_LABEL];
    memset(long_label, 'x', sizeof long_label - 1);
    check("stspi_label_lsu(over-long label)", api.stspi_label_lsu(&lsu, long_label), STS_EINVAL);
    check("stspi_label_lsu(NULL label)", api.stspi_label_lsu(&lsu, NULL), STS_EINVAL);

    sts_image_def_t def = image_def("bad_input_1700000000_C1_F1");
    sts_image_def_t bdef = def;
    memset(bdef.img_basename, 'n', sizeof bdef.img_basename);
    check("stspi_create_image_v10(name without NUL)", api.stspi_create_image_v10(&lsu, &bdef, 0, &img),
          STS_EINVAL);
    bdef = def;
    snprintf(bdef.img_date, sizeof bdef.img_date, "%s", "2026");
    check("stspi_create_image_v10(bad date)", api.stspi_create_image_v10(&lsu, &bdef, 0, &img),
          STS_EINVAL);
    bdef = def;
    bdef.img_flags = 0x80000000u;
    check("stspi_create_image_v10(unknown def flags)",
          api.stspi_create_image_v10(&lsu, &bdef, 0, &img), STS_EINVAL);
    check("stspi_create_image_v10(NULL def)", api.stspi_create_image_v10(&lsu, NULL, 0, &img),
          STS_EINVAL);
    check("stspi_create_image_v10(NULL out)", api.stspi_create_image_v10(&lsu, &def, 0, NULL),
          STS_EINVAL);
    sts_image_info_t ii;
    check("stspi_get_image_prop_byname_v10(missing image)",
          api.stspi_get_image_prop_byname_v10(&lsu, &def, 0, &ii), STS_ENOENT);
    check("stspi_get_image_prop_byname_v10(unknown flag bits ignored, missing image)",
          api.stspi_get_image_prop_byname_v10(&lsu, &def, 1, &ii), STS_ENOENT);
    check("stspi_open_image_v10(missing image)", api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img),
          STS_ENOENT);
    check("stspi_open_image_v10(mode 0)", api.stspi_open_image_v10(&lsu, &def, 0, &img), STS_EINVAL);
    check("stspi_delete_image_v10(missing image)", api.stspi_delete_image_v10(&lsu, &def, 0),
          STS_ENOENT);

    step("flags a newer NetBackup may set: unknown bits are ignored, the async delete is synchronous");
    sts_image_def_t fdef = image_def("bad_input_1700000001_C1_F1");
    check("stspi_create_image_v10(unknown create flag bits)",
          api.stspi_create_image_v10(&lsu, &fdef, STS_CIF_MORE_PENDING | 0x100, &img), STS_EOK);
    check("stspi_write_image(odd length)", api.stspi_write_image(img, NULL, buf, 777, 0, &n), STS_EOK);
    check("stspi_close_image(INCOMPLETE with unknown bits)", api.stspi_close_image(img, 0x80), STS_EOK);
    check("stspi_get_image_prop_byname_v10(checkpointed)",
          api.stspi_get_image_prop_byname_v10(&lsu, &fdef, 0, &ii), STS_EOK);
    if (ii.imo_size != 777 || !(ii.imo_flags & STS_II_IMAGE_PENDING))
        fail("checkpoint after an odd write: size %" PRIu64 " flags 0x%x", ii.imo_size, ii.imo_flags);
    check("stspi_open_image_v10(WRITE with unknown mode bits)",
          api.stspi_open_image_v10(&lsu, &fdef, STS_O_WRITE | 0x40, &img), STS_EOK);
    check("stspi_close_image(INCOMPLETE)", api.stspi_close_image(img, 0), STS_EOK);
    check("stspi_delete_image_v10(STS_DELETE_ASYNC and unknown bits)",
          api.stspi_delete_image_v10(&lsu, &fdef, STS_DELETE_ASYNC | 0x40), STS_EOK);
    check("stspi_get_image_prop_byname_v10(deleted)",
          api.stspi_get_image_prop_byname_v10(&lsu, &fdef, 0, &ii), STS_ENOENT);

    step("write, read and close arguments on a real image");
    check("stspi_create_image_v10", api.stspi_create_image_v10(&lsu, &def, 0, &img), STS_EOK);
    check("stspi_delete_image_v10(open image)", api.stspi_delete_image_v10(&lsu, &def, 0), STS_EBUSY);
    check("stspi_write_image(length of 100 bytes: no block size assumed)",
          api.stspi_write_image(img, NULL, buf, 100, 0, &n), STS_EOK);
    check("stspi_write_image(NULL buffer)", api.stspi_write_image(img, NULL, NULL, 512, 0, &n),
          STS_EINVAL);
    check("stspi_write_image(NULL written)", api.stspi_write_image(img, NULL, buf, 512, 0, NULL),
          STS_EINVAL);
    sts_stat_t bad_stat = {99, 0, 0};
    check("stspi_write_image(unknown stat version)",
          api.stspi_write_image(img, &bad_stat, buf, 512, 0, &n), STS_EINVAL);
    check("stspi_write_image(over STS_MAX_IO)",
          api.stspi_write_image(img, NULL, buf, (uint64_t)STS_MAX_IO * 2, 0, &n), STS_EINVAL);
    memset(buf, 0x5a, sizeof buf);
    check("stspi_write_image", api.stspi_write_image(img, NULL, buf, sizeof buf, 0, &n), STS_EOK);
    check("stspi_close_image(COMPLETE, unknown flag bits ignored)",
          api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE | 0x80), STS_EOK);
    check("stspi_close_image twice", api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE), STS_EINVAL);
    check("stspi_write_image(closed handle)", api.stspi_write_image(img, NULL, buf, 512, 0, &n),
          STS_EINVAL);
    check("stspi_open_image_v10(READ)", api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img),
          STS_EOK);
    check("stspi_read_image(NULL buffer)", api.stspi_read_image(img, NULL, 512, 0, &n), STS_EINVAL);
    check("stspi_read_image(NULL bytes_read)", api.stspi_read_image(img, buf, 512, 0, NULL),
          STS_EINVAL);
    check("stspi_read_image(past the end)", api.stspi_read_image(img, buf, 512, 1 << 20, &n), STS_EOK);
    if (n != 0) fail("read past the end returned %" PRIu64 " bytes", n);
    check("stspi_close_image(read)", api.stspi_close_image(img, 0), STS_EOK);
    check("stspi_write_image_meta(NULL buffer)",
          api.stspi_write_image_meta(&lsu, &def, NULL, 10, 0, &n), STS_EINVAL);
    check("stspi_read_image_meta(NULL bytes_read)",
          api.stspi_read_image_meta(&lsu, &def, buf, 10, 0, NULL), STS_EINVAL);
    sts_image_def_t other = image_def("bad_input_1700000000_C2_F1");
    sts_lsu_t forged_lsu = lsu;
    forged_lsu.lsu_server = 0xdeadbeef;
    check("stspi_copy_image_v9(LSUs on different handles)",
          api.stspi_copy_image_v9(&lsu, &def, &forged_lsu, &other, &n), STS_EINVAL);
    check("stspi_copy_image_v9(missing source)", api.stspi_copy_image_v9(&lsu, &other, &lsu, &def, &n),
          STS_ENOENT);
    check("stspi_delete_image_v9", api.stspi_delete_image_v9(&lsu, &def), STS_EOK);

    step("close, stale handles, terminate");
    check("stspi_close_server", api.stspi_close_server(server), STS_EOK);
    check("stspi_close_server twice", api.stspi_close_server(server), STS_EINVAL);
    check("stspi_get_server_prop(stale)", api.stspi_get_server_prop(server, &si), STS_EINVAL);
    check("stspi_open_lsu_list_v9(stale)", api.stspi_open_lsu_list_v9(server, &list), STS_EINVAL);
    check("stspi_terminate", api.stspi_terminate(), STS_EOK);
    check("stspi_terminate twice", api.stspi_terminate(), STS_EOK);
    check("stspi_claim after terminate", api.stspi_claim(server_name), STS_EINTERNAL);
    printf("driver bad: %d checks passed, no crash\n", checks);
    return 0;
}

/* ---- demo: backup, list, restore-and-verify, duplicate; then expire ---------------------------- */

static const char *DEMO_IMAGE = "demo-client_1764072000_C1_F1";
static const char *DEMO_COPY = "demo-client_1764072000_C2_F1";

static int run_demo_backup(uint64_t size) {
    start(0);
    sts_server_info_t si;
    OK(api.stspi_get_server_prop(server, &si));
    printf("storage server %s (cluster %s, %s data path), LSU %s\n", si.srv_server, si.srv_cluster,
           si.srv_data_path == STS_DATA_PATH_NFS ? "NFS" : "S3", lsu.lsu_name);
    sts_image_def_t a = image_def(DEMO_IMAGE), c = image_def(DEMO_COPY);
    sts_image_info_t old;
    if (api.stspi_get_image_prop_byname_v10(&lsu, &a, 0, &old) == STS_EOK) OK(api.stspi_delete_image_v10(&lsu, &a, 0));
    if (api.stspi_get_image_prop_byname_v10(&lsu, &c, 0, &old) == STS_EOK) OK(api.stspi_delete_image_v10(&lsu, &c, 0));

    step("backup: %s, %" PRIu64 " MiB in 1 MiB writes (256 KiB multiples)", DEMO_IMAGE, size >> 20);
    sts_image_handle_t img = 0;
    OK(api.stspi_create_image_v10(&lsu, &a, 0, &img));
    const uint64_t seed = 0x5DEECE66DULL;
    double t0 = now_s();
    write_stream(img, seed, 0, size, 1);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    double t_backup = now_s() - t0;
    uint64_t sum = expected_sum(seed, size);

    step("list: images in %s", lsu.lsu_name);
    if (!image_listed(DEMO_IMAGE)) fail("%s not listed", DEMO_IMAGE);
    sts_image_info_t pa = props(&a);
    printf("  %s  %" PRIu64 " bytes  %s\n", pa.imo_def.img_basename, pa.imo_size,
           (pa.imo_flags & STS_II_IMAGE_CREATED) ? "complete" : "PENDING");

    step("restore and verify");
    uint64_t got = 0;
    t0 = now_s();
    uint64_t sum_r = read_back(&a, size, &got, 1, 0);
    double t_restore = now_s() - t0;
    if (got != size || sum_r != sum) fail("restore does not verify");
    printf("  checksum %016" PRIx64 " matches (%" PRIu64 " bytes)\n", sum_r, got);

    step("duplicate (server-side copy): %s -> %s", DEMO_IMAGE, DEMO_COPY);
    uint64_t copied = 0;
    t0 = now_s();
    OK(api.stspi_copy_image_v9(&lsu, &a, &lsu, &c, &copied));
    double t_copy = now_s() - t0;
    sts_image_info_t pc = props(&c);
    if (copied != size || pc.imo_size != size || !(pc.imo_flags & STS_II_IMAGE_CREATED))
        fail("duplicate: copied %" PRIu64 ", size %" PRIu64, copied, pc.imo_size);
    printf("  %" PRIu64 " bytes copied in %.2f s\n", copied, t_copy);
    finish();
    double mib = (double)size / (1 << 20);
    printf("SUMMARY backup_mib_s=%.1f restore_mib_s=%.1f bytes_verified=%" PRIu64
           " copy_seconds=%.2f\n",
           mib / t_backup, mib / t_restore, got, t_copy);
    return 0;
}

static int run_demo_expire(void) {
    start(0);
    sts_image_def_t a = image_def(DEMO_IMAGE), c = image_def(DEMO_COPY);
    step("expire: delete %s and %s", DEMO_IMAGE, DEMO_COPY);
    OK(api.stspi_delete_image_v10(&lsu, &a, 0));
    OK(api.stspi_delete_image_v10(&lsu, &c, 0));
    sts_image_info_t gone;
    expect("prop after expire", api.stspi_get_image_prop_byname_v10(&lsu, &a, 0, &gone), STS_ENOENT);
    if (image_listed(DEMO_IMAGE) || image_listed(DEMO_COPY)) fail("expired images still listed");
    finish();
    printf("  both images gone\n");
    return 0;
}

/* ---- bench: timed transfers of a file's bytes, for `cargo xtask bench` --------------------------- */

/* Each bench mode prints one line `BENCH key=value ...` with the seconds of its timed phase. */

typedef struct {
    const char *file; /* source (backup) or destination prefix (restore) */
    char name[128];
    uint64_t call;
    uint64_t limit; /* put: bytes of FILE to write (0: all of it) */
    uint64_t size;  /* bytes written or read */
    char error[256];
} bench_job_t;

static void *bench_put_main(void *arg) {
    bench_job_t *job = arg;
    FILE *f = fopen(job->file, "rb");
    uint8_t *buf = malloc(job->call);
    sts_image_def_t def = image_def(job->name);
    sts_image_handle_t img = 0;
    sts_status_t rc = (f && buf) ? api.stspi_create_image_v10(&lsu, &def, 0, &img) : STS_ENOMEM;
    uint64_t off = 0;
    while (rc == STS_EOK) {
        uint64_t want = job->call;
        if (job->limit && job->limit - off < want) want = job->limit - off;
        size_t n = want ? fread(buf, 1, want, f) : 0;
        if (n == 0) break;
        if (n % BLOCK) {
            snprintf(job->error, sizeof job->error, "%s: file size not a 256 KiB multiple", job->file);
            break;
        }
        uint64_t written = 0;
        rc = api.stspi_write_image(img, NULL, buf, n, off, &written);
        if (rc == STS_EOK && written != n) rc = STS_EINTERNAL;
        off += n;
    }
    if (rc == STS_EOK && !job->error[0]) rc = api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE);
    if (rc != STS_EOK) snprintf(job->error, sizeof job->error, "%s: status %d", job->name, (int)rc);
    job->size = off;
    free(buf);
    if (f) fclose(f);
    return NULL;
}

static void *bench_get_main(void *arg) {
    bench_job_t *job = arg;
    FILE *out = strcmp(job->file, "-") == 0 ? NULL : fopen(job->file, "wb");
    uint8_t *buf = malloc(job->call);
    sts_image_def_t def = image_def(job->name);
    sts_image_handle_t img = 0;
    sts_status_t rc = buf ? api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img) : STS_ENOMEM;
    uint64_t off = 0;
    while (rc == STS_EOK) {
        uint64_t got = 0;
        rc = api.stspi_read_image(img, buf, job->call, off, &got);
        if (rc != STS_EOK || got == 0) break;
        if (out && fwrite(buf, 1, got, out) != got) {
            snprintf(job->error, sizeof job->error, "%s: short write", job->file);
            break;
        }
        off += got;
    }
    if (rc == STS_EOK) rc = api.stspi_close_image(img, 0);
    if (rc != STS_EOK) snprintf(job->error, sizeof job->error, "%s: status %d", job->name, (int)rc);
    job->size = off;
    free(buf);
    if (out) fclose(out);
    return NULL;
}

/* put: STREAMS threads each write FILE (its first LIMIT bytes when LIMIT > 0) as image NAME_s<i>;
   get: STREAMS threads each read NAME_s<i>, into FILE with one stream, else discarded ("-"). */
static int run_bench_transfer(int put, const char *file, const char *name, uint64_t call, int streams,
                              uint64_t limit) {
    if (call == 0 || call % BLOCK || call > STS_MAX_IO) fail("call size must be a 256 KiB multiple");
    if (streams < 1 || streams > 256) fail("streams must be 1..256");
    if (!put && streams > 1 && strcmp(file, "-") != 0) fail("several streams read into \"-\" only");
    start(0);
    bench_job_t *jobs = calloc((size_t)streams, sizeof *jobs);
    pthread_t *tids = calloc((size_t)streams, sizeof *tids);
    if (!jobs || !tids) fail("out of memory");
    for (int i = 0; i < streams; i++) {
        jobs[i].file = file;
        jobs[i].call = call;
        jobs[i].limit = limit;
        snprintf(jobs[i].name, sizeof jobs[i].name, "%s_s%d", name, i);
    }
    double t0 = now_s();
    for (int i = 0; i < streams; i++)
        if (pthread_create(&tids[i], NULL, put ? bench_put_main : bench_get_main, &jobs[i]) != 0)
            fail("pthread_create");
    uint64_t total = 0;
    for (int i = 0; i < streams; i++) pthread_join(tids[i], NULL);
    double secs = now_s() - t0;
    for (int i = 0; i < streams; i++) {
        if (jobs[i].error[0]) fail("stream %d: %s", i, jobs[i].error);
        total += jobs[i].size;
    }
    finish();
    printf("BENCH bytes=%" PRIu64 " seconds=%.4f streams=%d\n", total, secs, streams);
    free(jobs);
    free(tids);
    return 0;
}

static int run_bench_delete(const char *name, int streams) {
    start(0);
    for (int i = 0; i < streams; i++) {
        char full[128];
        snprintf(full, sizeof full, "%s_s%d", name, i);
        sts_image_def_t def = image_def(full);
        OK(api.stspi_delete_image_v10(&lsu, &def, 0));
    }
    finish();
    return 0;
}

/* COUNT images of SIZE bytes: create (write, close), list them all, delete them; each timed. */
static int run_bench_small(const char *prefix, uint64_t count, uint64_t size) {
    if (size == 0 || size % STS_BLOCK_SIZE || size % 8) fail("SIZE must be a multiple of STS_BLOCK_SIZE");
    start(0);
    uint8_t *buf = malloc(size);
    if (!buf) fail("out of memory");
    fill(7, 0, buf, size);
    char name[128];
    double t0 = now_s();
    for (uint64_t i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s%06" PRIu64, prefix, i);
        sts_image_def_t def = image_def(name);
        sts_image_handle_t img = 0;
        uint64_t written = 0;
        OK(api.stspi_create_image_v10(&lsu, &def, 0, &img));
        OK(api.stspi_write_image(img, NULL, buf, size, 0, &written));
        OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    }
    double t_create = now_s() - t0;
    t0 = now_s();
    sts_list_handle_t list = 0;
    sts_image_filter_t filter;
    memset(&filter, 0, sizeof filter);
    snprintf(filter.if_prefix, sizeof filter.if_prefix, "%s", prefix);
    OK(api.stspi_open_image_list_v10(&lsu, &filter, &list));
    uint64_t listed = 0;
    sts_image_info_t info;
    sts_status_t rc;
    while ((rc = api.stspi_list_image_v10(list, &info)) == STS_EOK)
        if (strncmp(info.imo_def.img_basename, prefix, strlen(prefix)) == 0) listed++;
    expect("stspi_list_image_v10 at the end", rc, STS_ENO_MORE_ENTRIES);
    OK(api.stspi_close_image_list(list));
    double t_list = now_s() - t0;
    if (listed != count) fail("listed %" PRIu64 " of %" PRIu64 " images", listed, count);
    t0 = now_s();
    for (uint64_t i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s%06" PRIu64, prefix, i);
        sts_image_def_t def = image_def(name);
        OK(api.stspi_delete_image_v10(&lsu, &def, 0));
    }
    double t_delete = now_s() - t0;
    finish();
    free(buf);
    printf("BENCH count=%" PRIu64 " create_seconds=%.4f list_seconds=%.4f delete_seconds=%.4f\n",
           count, t_create, t_list, t_delete);
    return 0;
}

/* ---- bandwidth limits and data reduction, for ffi/tests/bandwidth.rs ------------------------- */

#define RATE_STREAMS 4
#define RATE_CALL (1u << 20)

static volatile uint64_t rate_bytes[RATE_STREAMS];
static volatile int rate_stop;

static void *rate_put_main(void *arg) {
    int i = (int)(intptr_t)arg;
    char name[128];
    snprintf(name, sizeof name, "rate%ld_s%d", (long)getpid(), i);
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    uint8_t *buf = malloc(RATE_CALL);
    if (!buf) fail("out of memory");
    fill((uint64_t)i, 0, buf, RATE_CALL);
    OK(api.stspi_create_image_v10(&lsu, &def, 0, &img));
    uint64_t off = 0;
    while (!rate_stop) {
        uint64_t written = 0;
        OK(api.stspi_write_image(img, NULL, buf, RATE_CALL, off, &written));
        off += written;
        __atomic_store_n(&rate_bytes[i], off, __ATOMIC_RELAXED);
    }
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    OK(api.stspi_delete_image_v10(&lsu, &def, 0));
    free(buf);
    return NULL;
}

/* rate-put SECONDS: four threads write one image each, as fast as the plugin takes the bytes,
   for SECONDS; every 100 ms a line `RATE t=<s> <bytes of stream 0> ... <bytes of stream 3>`
   (bytes acknowledged so far). The limits come from the configuration and its override file. */
static int run_rate_put(double seconds) {
    start(0);
    pthread_t tids[RATE_STREAMS];
    double t0 = now_s();
    for (int i = 0; i < RATE_STREAMS; i++)
        if (pthread_create(&tids[i], NULL, rate_put_main, (void *)(intptr_t)i) != 0) fail("pthread_create");
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        nanosleep(&tick, NULL);
        double t = now_s() - t0;
        printf("RATE t=%.3f", t);
        for (int i = 0; i < RATE_STREAMS; i++)
            printf(" %" PRIu64, (uint64_t)__atomic_load_n(&rate_bytes[i], __ATOMIC_RELAXED));
        printf("\n");
        fflush(stdout);
        if (t >= seconds) break;
    }
    rate_stop = 1;
    for (int i = 0; i < RATE_STREAMS; i++) pthread_join(tids[i], NULL);
    finish();
    printf("rate-put: done\n");
    return 0;
}

/* reduction SIZE: writes an image of SIZE bytes, then prints what NetBackup reads for capacity
   planning: `SERVER dedup=<0|1>` (STS_SRV_DEDUP in srv_flags) and
   `LSU used=<lsu_used> used_phys=<lsu_used_phys>`; deletes the image. */
static int run_reduction(uint64_t size) {
    start(0);
    char name[128];
    snprintf(name, sizeof name, "red%ld", (long)getpid());
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    uint8_t *buf = malloc(size);
    if (!buf) fail("out of memory");
    fill(3, 0, buf, size);
    uint64_t written = 0;
    OK(api.stspi_create_image_v10(&lsu, &def, 0, &img));
    OK(api.stspi_write_image(img, NULL, buf, size, 0, &written));
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    sts_server_info_t si;
    OK(api.stspi_get_server_prop(server, &si));
    sts_lsu_info_t li;
    OK(api.stspi_get_lsu_prop_byname_v11(&lsu, &li));
    printf("SERVER dedup=%d\n", (si.srv_flags & STS_SRV_DEDUP) ? 1 : 0);
    printf("LSU used=%" PRIu64 " used_phys=%" PRIu64 "\n", (uint64_t)li.lsu_used, (uint64_t)li.lsu_used_phys);
    OK(api.stspi_delete_image_v10(&lsu, &def, 0));
    free(buf);
    finish();
    return 0;
}

/* list PREFIX: the images of the first LSU whose names start with PREFIX, one line each. */
static int run_list(const char *prefix) {
    start(0);
    sts_list_handle_t list = 0;
    sts_image_filter_t filter;
    memset(&filter, 0, sizeof filter);
    snprintf(filter.if_prefix, sizeof filter.if_prefix, "%s", prefix);
    OK(api.stspi_open_image_list_v10(&lsu, &filter, &list));
    sts_image_info_t info;
    sts_status_t rc;
    while ((rc = api.stspi_list_image_v10(list, &info)) == STS_EOK)
        if (strncmp(info.imo_def.img_basename, prefix, strlen(prefix)) == 0)
            printf("IMAGE %s %" PRIu64 "\n", info.imo_def.img_basename, (uint64_t)info.imo_size);
    expect("stspi_list_image_v10 at the end", rc, STS_ENO_MORE_ENTRIES);
    OK(api.stspi_close_image_list(list));
    finish();
    return 0;
}

static void *open_plugin(const char *path) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) fail("dlopen %s: %s", path, dlerror());
    if (resolve_all(lib) < 0) exit(1);
    return lib;
}

/* bench-put FILE NAME CALL [STREAMS [LIMIT]] | bench-get NAME FILE CALL [STREAMS] | bench-delete NAME [STREAMS] |
   bench-small PREFIX COUNT SIZE */
static int bench_main(int argc, char **argv) {
    void *lib = open_plugin(argv[1]);
    int rc = 2;
    if (strcmp(mode, "bench-put") == 0 && argc >= 7)
        rc = run_bench_transfer(1, argv[4], argv[5], strtoull(argv[6], NULL, 10),
                                argc > 7 ? atoi(argv[7]) : 1, argc > 8 ? strtoull(argv[8], NULL, 10) : 0);
    else if (strcmp(mode, "bench-get") == 0 && argc >= 7)
        rc = run_bench_transfer(0, argv[5], argv[4], strtoull(argv[6], NULL, 10),
                                argc > 7 ? atoi(argv[7]) : 1, 0);
    else if (strcmp(mode, "bench-delete") == 0 && argc >= 5)
        rc = run_bench_delete(argv[4], argc > 5 ? atoi(argv[5]) : 1);
    else if (strcmp(mode, "bench-small") == 0 && argc >= 7)
        rc = run_bench_small(argv[4], strtoull(argv[5], NULL, 10), strtoull(argv[6], NULL, 10));
    else
        fprintf(stderr, "bad arguments for %s\\n", mode);
    dlclose(lib);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s LIB SERVER full [SIZE] | bad | demo-backup SIZE | demo-expire\n",
                argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    server_name = argv[2];
    mode = argv[3];
    if (strncmp(mode, "bench-", 6) == 0) return bench_main(argc, argv);
    if (strcmp(mode, "rate-put") == 0 && argc >= 5) {
        void *lib = open_plugin(argv[1]);
        int rc = run_rate_put(strtod(argv[4], NULL));
        dlclose(lib);
        return rc;
    }
    if (strcmp(mode, "reduction") == 0 && argc >= 5) {
        void *lib = open_plugin(argv[1]);
        int rc = run_reduction(strtoull(argv[4], NULL, 10));
        dlclose(lib);
        return rc;
    }
    if (strcmp(mode, "list") == 0 && argc >= 5) {
        void *lib = open_plugin(argv[1]);
        int rc = run_list(argv[4]);
        dlclose(lib);
        return rc;
    }
    uint64_t size = argc > 4 ? strtoull(argv[4], NULL, 10) : (24u << 20);
    if (size == 0 || size % BLOCK) {
        fprintf(stderr, "SIZE must be a non-zero multiple of 256 KiB\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    int n = resolve_all(lib);
    if (n < 0) return 1;
    step("dlopen %s: %d entry points resolved by name", argv[1], n);
    int rc;
    if (strcmp(mode, "full") == 0)
        rc = run_full(size);
    else if (strcmp(mode, "bad") == 0)
        rc = run_bad();
    else if (strcmp(mode, "demo-backup") == 0)
        rc = run_demo_backup(size);
    else if (strcmp(mode, "demo-expire") == 0)
        rc = run_demo_expire();
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    dlclose(lib);
    return rc;
}
