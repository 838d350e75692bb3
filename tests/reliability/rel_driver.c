/*
 * rel_driver.c: the reliability suite's C driver for libstspiVastDataMT.so.
 *
 * It is tests/c/driver.c (the NetBackup-style driver: dlopen, every stspi_* resolved by name,
 * the data generator and checksum) plus modes that report a failure instead of exiting at it, so
 * that a test can inject faults into vast-sim while a backup runs and judge the outcome. Every
 * mode prints what it did; machine-readable result lines start with an upper-case keyword.
 *
 *   rel_driver LIB SERVER backup NAME SIZE SEED [PAUSE_AT]
 *        create, write SIZE bytes of SEED's stream (1 MiB writes, an LSU-property poll every
 *        8 MiB as NetBackup does), close COMPLETE. At PAUSE_AT bytes it prints "PAUSED" and
 *        waits for a line on stdin (the test injects its fault meanwhile). A failure prints
 *        WRITE_FAILED / CLOSE_FAILED and the image's state afterwards, exit 3.
 *        Success: "BACKUP_COMPLETE", exit 0. REL_WRITE_PAUSE_MS slows writes down.
 *   rel_driver LIB SERVER restore NAME SIZE SEED      read back and verify: "RESTORE_VERIFIED"
 *   rel_driver LIB SERVER state NAME                  "STATE missing|pending|complete SIZE LISTED n"
 *   rel_driver LIB SERVER delete NAME                 "DELETE <code>" (NetBackup expiring it)
 *   rel_driver LIB SERVER wait-gone NAME SECS         polls until the image is gone: "GONE"
 *   rel_driver LIB SERVER race NAME SEED              prints READY, waits for a stdin line, then
 *                                                     creates NAME: "WON" or "LOST <code>"
 *   rel_driver LIB SERVER open-read NAME              open for read, props, list: codes printed
 *   rel_driver LIB SERVER open-server N               N x (init, claim, open, LSU list, close,
 *                                                     terminate): "OPEN_SERVER <code>" each
 *   rel_driver LIB SERVER bad2                        bad input beyond driver.c's `bad` mode,
 *                                                     around a Complete image that must survive
 *
 * Every run is killed by SIGALRM after REL_TIMEOUT seconds (default 600) so a hang fails a test
 * instead of blocking CI.
 */
#define main vast_driver_main
#include "../c/driver.c"
#undef main

#include <signal.h>

int vast_driver_main(int argc, char **argv);

static const char *state_name(const sts_image_def_t *def, uint64_t *size) {
    sts_image_info_t info;
    sts_status_t rc = api.stspi_get_image_prop_byname_v10(&lsu, def, 0, &info);
    *size = 0;
    if (rc == STS_ENOENT) return "missing";
    if (rc != STS_EOK) return "unknown";
    *size = info.imo_size;
    if ((info.imo_flags & STS_II_IMAGE_CREATED) && !(info.imo_flags & STS_II_IMAGE_PENDING))
        return "complete";
    return "pending";
}

/* Listed in an image list, and whether listed as complete (-1: the list failed). */
static int listed(const char *basename, int *complete) {
    sts_list_handle_t list = 0;
    sts_image_filter_t filter;
    memset(&filter, 0, sizeof filter);
    snprintf(filter.if_prefix, sizeof filter.if_prefix, "%s", basename);
    *complete = 0;
    if (api.stspi_open_image_list_v10(&lsu, &filter, &list) != STS_EOK) return -1;
    int found = 0;
    sts_image_info_t info;
    while (api.stspi_list_image_v10(list, &info) == STS_EOK) {
        if (strcmp(info.imo_def.img_basename, basename) == 0) {
            found = 1;
            if ((info.imo_flags & STS_II_IMAGE_CREATED) && !(info.imo_flags & STS_II_IMAGE_PENDING))
                *complete = 1;
        }
    }
    api.stspi_close_image_list(list);
    return found;
}

static void print_state(const sts_image_def_t *def) {
    uint64_t size = 0;
    const char *s = state_name(def, &size);
    int complete = 0;
    int l = listed(def->img_basename, &complete);
    printf("STATE %s %" PRIu64 " LISTED %d LISTED_COMPLETE %d\n", s, size, l, complete);
}

static void wait_line(void) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) fail("stdin closed while paused");
}

static int run_backup(const char *name, uint64_t size, uint64_t seed, uint64_t pause_at) {
    start(0);
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    sts_status_t rc = api.stspi_create_image_v10(&lsu, &def, 0, &img);
    if (rc != STS_EOK) {
        printf("CREATE_FAILED %d\n", (int)rc);
        return 3;
    }
    step("backup %s: %" PRIu64 " bytes of stream %" PRIu64, name, size, seed);
    const char *pause_env = getenv("REL_WRITE_PAUSE_MS");
    long pause_ms = pause_env ? atol(pause_env) : 0;
    uint8_t *buf = malloc(WRITE_BUF);
    if (!buf) fail("out of memory");
    uint64_t off = 0;
    int polls = 0, poll_failures = 0;
    sts_status_t last_poll = STS_EOK;
    while (off < size) {
        if (pause_at && off == pause_at) {
            printf("PAUSED %" PRIu64 "\n", off);
            fflush(stdout);
            wait_line();
            step("resumed at %" PRIu64, off);
        }
        uint64_t len = size - off < WRITE_BUF ? size - off : WRITE_BUF;
        fill(seed, off, buf, len);
        uint64_t written = 0;
        rc = api.stspi_write_image(img, NULL, buf, len, off, &written);
        if (rc != STS_EOK) {
            printf("WRITE_FAILED %" PRIu64 " %d\n", off, (int)rc);
            break;
        }
        if (written != len) fail("wrote %" PRIu64 " of %" PRIu64, written, len);
        off += len;
        if (off % (8u << 20) == 0) {
            sts_lsu_info_t li;
            polls++;
            last_poll = api.stspi_get_lsu_prop_byname_v11(&lsu, &li);
            if (last_poll != STS_EOK) poll_failures++;
        }
        if (pause_ms) sleep_ms(pause_ms);
    }
    free(buf);
    printf("LSU_POLLS %d FAILED %d LAST %d\n", polls, poll_failures, (int)last_poll);
    if (rc == STS_EOK) {
        rc = api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE);
        if (rc != STS_EOK) printf("CLOSE_FAILED %d\n", (int)rc);
    } else {
        sts_status_t crc = api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE);
        printf("CLOSE_AFTER_FAILURE %d\n", (int)crc);
        if (crc == STS_EOK) printf("CLOSE_ACCEPTED_A_FAILED_IMAGE\n");
    }
    print_state(&def);
    if (rc != STS_EOK) {
        api.stspi_close_server(server);
        api.stspi_terminate();
        return 3;
    }
    printf("BACKUP_COMPLETE %" PRIu64 " %016" PRIx64 "\n", size, expected_sum(seed, size));
    finish();
    return 0;
}

static int run_restore(const char *name, uint64_t size, uint64_t seed) {
    start(0);
    sts_image_def_t def = image_def(name);
    uint64_t got = 0;
    uint64_t sum = read_back(&def, size, &got, 0, 0);
    uint64_t want = expected_sum(seed, size);
    if (got != size || sum != want)
        fail("restore of %s: %" PRIu64 " bytes, checksum %016" PRIx64 ", wrote %016" PRIx64, name,
             got, sum, want);
    printf("RESTORE_VERIFIED %" PRIu64 " %016" PRIx64 "\n", got, sum);
    finish();
    return 0;
}

static int run_state(const char *name) {
    start(0);
    sts_image_def_t def = image_def(name);
    print_state(&def);
    finish();
    return 0;
}

/* NetBackup expiring an image: "DELETE <code>". */
static int run_delete(const char *name) {
    start(0);
    sts_image_def_t def = image_def(name);
    printf("DELETE %d\n", (int)api.stspi_delete_image_v10(&lsu, &def, 0));
    finish();
    return 0;
}

static int run_wait_gone(const char *name, long secs) {
    start(0);
    sts_image_def_t def = image_def(name);
    int complete = 0;
    if (listed(name, &complete) && complete) printf("LISTED_COMPLETE_AFTER_RESTART\n");
    uint64_t size;
    for (long i = 0; i < secs * 10; i++) {
        const char *s = state_name(&def, &size);
        if (strcmp(s, "complete") == 0) printf("SEEN_COMPLETE\n");
        if (strcmp(s, "missing") == 0) {
            printf("GONE after %ld polls\n", i);
            finish();
            return 0;
        }
        sleep_ms(100);
    }
    print_state(&def);
    fail("%s still there after %ld s", name, secs);
    return 1;
}

static int run_race(const char *name, uint64_t seed) {
    start(0);
    printf("READY\n");
    fflush(stdout);
    wait_line();
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    sts_status_t rc = api.stspi_create_image_v10(&lsu, &def, 0, &img);
    if (rc != STS_EOK) {
        printf("LOST %d\n", (int)rc);
        finish();
        return 0;
    }
    write_stream(img, seed, 0, 8u << 20, 0);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    printf("WON %" PRIu64 "\n", seed);
    finish();
    return 0;
}

static int run_open_read(const char *name) {
    start(0);
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    sts_status_t rc = api.stspi_open_image_v10(&lsu, &def, STS_O_READ, &img);
    printf("OPEN_READ %d\n", (int)rc);
    if (rc == STS_EOK) {
        uint8_t b[4096];
        uint64_t n = 0;
        printf("READ %d\n", (int)api.stspi_read_image(img, b, sizeof b, 0, &n));
        api.stspi_close_image(img, 0);
    }
    sts_image_info_t info;
    printf("PROP %d\n", (int)api.stspi_get_image_prop_byname_v10(&lsu, &def, 0, &info));
    int complete = 0;
    printf("LISTED %d\n", listed(name, &complete));
    printf("DELETE %d\n", (int)api.stspi_delete_image_v10(&lsu, &def, 0));
    finish();
    return 0;
}

static int run_open_server(int times) {
    for (int i = 0; i < times; i++) {
        stspi_plugin_info_t info;
        OK(api.stspi_init(STSPI_API_VERSION, &info));
        OK(api.stspi_claim(server_name));
        sts_cred_t cred = credentials();
        sts_server_handle_t h = 0;
        sts_status_t rc = api.stspi_open_server(server_name, &cred, NULL, &h);
        printf("OPEN_SERVER %d\n", (int)rc);
        if (rc == STS_EOK) {
            sts_list_handle_t list = 0;
            sts_lsu_name_t ln;
            OK(api.stspi_open_lsu_list_v11(h, 0, &list));
            OK(api.stspi_list_lsu(list, &ln));
            OK(api.stspi_close_lsu_list(list));
            printf("LSU %s\n", ln.sln_name);
            OK(api.stspi_close_server(h));
        }
        OK(api.stspi_terminate());
    }
    return 0;
}

/* ---- bad input beyond driver.c's `bad` mode -------------------------------------------------- */

static sts_status_t create_named(const char *basename, sts_image_handle_t *img) {
    sts_image_def_t d = image_def("x");
    memset(d.img_basename, 0, sizeof d.img_basename);
    memcpy(d.img_basename, basename, strlen(basename));
    return api.stspi_create_image_v10(&lsu, &d, 0, img);
}

static int run_bad2(void) {
    uint8_t buf[BLOCK];
    uint64_t n = 0;
    sts_image_handle_t img = 0, wimg = 0, rimg = 0;
    memset(buf, 0x42, sizeof buf);

    start(0);
    step("a Complete image that every bad call must leave intact");
    const uint64_t keep_seed = 77, keep_size = 8u << 20;
    sts_image_def_t keep = image_def("keeper_1700000000_C1_F1");
    OK(api.stspi_create_image_v10(&lsu, &keep, 0, &img));
    write_stream(img, keep_seed, 0, keep_size, 0);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));

    step("image names: '/', '..', non-UTF-8, empty, NUL inside");
    check("stspi_create_image_v10(name with /)", create_named("a/b_1700000000_C1_F1", &img), STS_EINVAL);
    check("stspi_create_image_v10(name ..)", create_named("..", &img), STS_EINVAL);
    check("stspi_create_image_v10(name ../keeper)", create_named("../keeper_1700000000_C1_F1", &img),
          STS_EINVAL);
    check("stspi_create_image_v10(non-UTF-8 name)", create_named("\xff\xfe_1700000000_C1_F1", &img),
          STS_EINVAL);
    check("stspi_create_image_v10(empty name)", create_named("", &img), STS_EINVAL);
    {
        sts_image_def_t d = image_def("x");
        memset(d.img_basename, 0, sizeof d.img_basename);
        memcpy(d.img_basename, "..\0keeper_1700000000_C1_F1", 26);
        check("stspi_create_image_v10(.. then NUL then a name)",
              api.stspi_create_image_v10(&lsu, &d, 0, &img), STS_EINVAL);
        d = image_def("x");
        memcpy(d.img_date, "2026\xff" "1125120000", 15);
        check("stspi_create_image_v10(non-UTF-8 date)", api.stspi_create_image_v10(&lsu, &d, 0, &img),
              STS_EINVAL);
        d = keep;
        memcpy(d.img_basename, "keeper/../x", 12);
        sts_image_info_t ii;
        check("stspi_get_image_prop_byname_v10(name with ../)",
              api.stspi_get_image_prop_byname_v10(&lsu, &d, 0, &ii), STS_EINVAL);
        check("stspi_delete_image_v10(name with ../)", api.stspi_delete_image_v10(&lsu, &d, 0),
              STS_EINVAL);
        check("stspi_open_image_v10(name with /)", api.stspi_open_image_v10(&lsu, &d, STS_O_READ, &img),
              STS_EINVAL);
    }

    step("LSU names: '/', '..', non-UTF-8, unterminated");
    {
        sts_lsu_t bl = lsu;
        sts_lsu_info_t li;
        snprintf(bl.lsu_name, sizeof bl.lsu_name, "%s", "../etc");
        check("stspi_get_lsu_prop_byname_v11(LSU ../etc)", api.stspi_get_lsu_prop_byname_v11(&bl, &li),
              STS_EINVAL);
        snprintf(bl.lsu_name, sizeof bl.lsu_name, "%s", "pool/01");
        check("stspi_create_image_v10(LSU with /)", api.stspi_create_image_v10(&bl, &keep, 0, &img),
              STS_EINVAL);
        snprintf(bl.lsu_name, sizeof bl.lsu_name, "%s", "pool\xff");
        check("stspi_open_image_v10(non-UTF-8 LSU)", api.stspi_open_image_v10(&bl, &keep, STS_O_READ, &img),
              STS_EINVAL);
        memset(bl.lsu_name, 'a', sizeof bl.lsu_name);
        check("stspi_delete_image_v10(unterminated LSU)", api.stspi_delete_image_v10(&bl, &keep, 0),
              STS_EINVAL);
        check("stspi_label_lsu(non-UTF-8 label)", api.stspi_label_lsu(&lsu, "label\xff"), STS_EINVAL);
        check("stspi_claim(non-UTF-8 server)", api.stspi_claim("vast://\xff\xfe"), STS_EINVAL);
    }

    step("lengths and offsets on a write handle");
    sts_image_def_t w = image_def("badlen_1700000000_C1_F1");
    check("stspi_create_image_v10", api.stspi_create_image_v10(&lsu, &w, 0, &wimg), STS_EOK);
    check("stspi_write_image(zero length)", api.stspi_write_image(wimg, NULL, buf, 0, 0, &n), STS_EOK);
    if (n != 0) fail("a zero-length write wrote %" PRIu64, n);
    check("stspi_write_image(length 2^64-1)", api.stspi_write_image(wimg, NULL, buf, UINT64_MAX, 0, &n),
          STS_EINVAL);
    check("stspi_read_image(write handle)", api.stspi_read_image(wimg, buf, sizeof buf, 0, &n),
          STS_EINVAL);
    check("stspi_write_image", api.stspi_write_image(wimg, NULL, buf, sizeof buf, 0, &n), STS_EOK);
    check("stspi_open_image_v10(READ of an image being written)",
          api.stspi_open_image_v10(&lsu, &w, STS_O_READ, &rimg), STS_EBUSY);
    check("stspi_close_image(COMPLETE)", api.stspi_close_image(wimg, STS_CLOSEF_IH_COMPLETE), STS_EOK);
    check("stspi_close_image(write handle twice)", api.stspi_close_image(wimg, STS_CLOSEF_IH_COMPLETE),
          STS_EINVAL);
    check("stspi_flush_image(closed write handle)", api.stspi_flush_image(wimg), STS_EINVAL);

    step("a write that leaves a gap or overflows fails its handle, and only its handle");
    const char *gaps[2] = {"gap_1700000000_C1_F1", "overflow_1700000000_C1_F1"};
    for (int i = 0; i < 2; i++) {
        sts_image_def_t g = image_def(gaps[i]);
        sts_image_handle_t gimg = 0;
        check("stspi_create_image_v10", api.stspi_create_image_v10(&lsu, &g, 0, &gimg), STS_EOK);
        if (i == 0)
            check("stspi_write_image(offset past the end)",
                  api.stspi_write_image(gimg, NULL, buf, sizeof buf, 1u << 30, &n), STS_EINVAL);
        else
            check("stspi_write_image(offset 2^64-512)",
                  api.stspi_write_image(gimg, NULL, buf, 512, UINT64_MAX - 511, &n), STS_EINVAL);
        check("stspi_write_image(after the failed write)",
              api.stspi_write_image(gimg, NULL, buf, sizeof buf, 0, &n), STS_EINVAL);
        check("stspi_close_image(COMPLETE of the failed image)",
              api.stspi_close_image(gimg, STS_CLOSEF_IH_COMPLETE), STS_EINVAL);
        /* A failure never destroys earlier progress: the image stays Pending (resumable at its
         * durable size, here 0) until NetBackup deletes it or the orphan sweep does. */
        sts_image_info_t gi;
        check("stspi_get_image_prop_byname_v10(the failed image)",
              api.stspi_get_image_prop_byname_v10(&lsu, &g, 0, &gi), STS_EOK);
        if (!(gi.imo_flags & STS_II_IMAGE_PENDING) || gi.imo_size != 0)
            fail("failed image: flags 0x%x size %" PRIu64, gi.imo_flags, gi.imo_size);
        check("stspi_delete_image_v10(the failed image)", api.stspi_delete_image_v10(&lsu, &g, 0), STS_EOK);
    }

    step("lengths and offsets on a read handle");
    check("stspi_open_image_v10(READ)", api.stspi_open_image_v10(&lsu, &w, STS_O_READ, &rimg), STS_EOK);
    check("stspi_write_image(read handle)", api.stspi_write_image(rimg, NULL, buf, sizeof buf, 0, &n),
          STS_EINVAL);
    check("stspi_read_image(zero length)", api.stspi_read_image(rimg, buf, 0, 0, &n), STS_EOK);
    check("stspi_read_image(length 2^64-1)", api.stspi_read_image(rimg, buf, UINT64_MAX, 0, &n),
          STS_EINVAL);
    check("stspi_read_image(offset 2^64-1)", api.stspi_read_image(rimg, buf, 512, UINT64_MAX, &n),
          STS_EOK);
    if (n != 0) fail("a read at 2^64-1 returned %" PRIu64 " bytes", n);
    check("stspi_read_image(forged neighbour handle)",
          api.stspi_read_image(rimg + 1, buf, sizeof buf, 0, &n), STS_EINVAL);
    check("stspi_close_image(read)", api.stspi_close_image(rimg, 0), STS_EOK);
    check("stspi_close_image(read handle twice)", api.stspi_close_image(rimg, 0), STS_EINVAL);
    check("stspi_read_image(closed read handle)", api.stspi_read_image(rimg, buf, sizeof buf, 0, &n),
          STS_EINVAL);
    sts_image_info_t ii;
    check("stspi_get_image_prop(closed handle)", api.stspi_get_image_prop(rimg, &ii), STS_EINVAL);
    check("stspi_write_image_meta(length 2^64-1)",
          api.stspi_write_image_meta(&lsu, &w, buf, UINT64_MAX, 0, &n), STS_EINVAL);
    check("stspi_read_image_meta(offset 2^64-1)",
          api.stspi_read_image_meta(&lsu, &w, buf, 512, UINT64_MAX, &n), STS_ENOENT);
    check("stspi_delete_image_v10", api.stspi_delete_image_v10(&lsu, &w, 0), STS_EOK);

    step("the Complete image is intact");
    uint64_t got = 0;
    uint64_t sum = read_back(&keep, keep_size, &got, 0, 0);
    if (got != keep_size || sum != expected_sum(keep_seed, keep_size)) fail("keeper does not verify");
    printf("KEEPER_VERIFIED %" PRIu64 " %016" PRIx64 "\n", got, sum);
    OK(api.stspi_delete_image_v10(&lsu, &keep, 0));
    sts_server_handle_t old = server;
    finish();

    step("after terminate");
    sts_server_info_t si;
    check("stspi_get_server_prop after terminate", api.stspi_get_server_prop(old, &si), STS_EINTERNAL);
    check("stspi_write_image after terminate", api.stspi_write_image(wimg, NULL, buf, 512, 0, &n),
          STS_EINTERNAL);
    check("stspi_read_image after terminate", api.stspi_read_image(rimg, buf, 512, 0, &n), STS_EINTERNAL);
    check("stspi_close_image after terminate", api.stspi_close_image(rimg, 0), STS_EINTERNAL);
    check("stspi_open_server after terminate", api.stspi_open_server(server_name, NULL, NULL, &old),
          STS_EINTERNAL);
    printf("driver bad2: %d checks passed, no crash\n", checks);
    return 0;
}

static uint64_t arg_u64(int argc, char **argv, int i, uint64_t dflt) {
    return argc > i ? strtoull(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s LIB SERVER MODE ARGS... (see the header of rel_driver.c)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *t = getenv("REL_TIMEOUT");
    alarm(t ? (unsigned)atoi(t) : 600u);
    server_name = argv[2];
    mode = argv[3];
    const char *m = argv[3];
    int known = !strcmp(m, "backup") || !strcmp(m, "restore") || !strcmp(m, "state") ||
                !strcmp(m, "wait-gone") || !strcmp(m, "race") || !strcmp(m, "open-read") ||
                !strcmp(m, "open-server") || !strcmp(m, "bad2") || !strcmp(m, "delete");
    if (!known) return vast_driver_main(argc, argv);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    if (resolve_all(lib) < 0) return 1;
    const char *name = argc > 4 ? argv[4] : "";
    int rc;
    if (!strcmp(m, "backup"))
        rc = run_backup(name, arg_u64(argc, argv, 5, 0), arg_u64(argc, argv, 6, 1),
                        arg_u64(argc, argv, 7, 0));
    else if (!strcmp(m, "restore"))
        rc = run_restore(name, arg_u64(argc, argv, 5, 0), arg_u64(argc, argv, 6, 1));
    else if (!strcmp(m, "state"))
        rc = run_state(name);
    else if (!strcmp(m, "delete"))
        rc = run_delete(name);
    else if (!strcmp(m, "wait-gone"))
        rc = run_wait_gone(name, (long)arg_u64(argc, argv, 5, 30));
    else if (!strcmp(m, "race"))
        rc = run_race(name, arg_u64(argc, argv, 5, 1));
    else if (!strcmp(m, "open-read"))
        rc = run_open_read(name);
    else if (!strcmp(m, "open-server"))
        rc = run_open_server((int)arg_u64(argc, argv, 4, 1));
    else
        rc = run_bad2();
    dlclose(lib);
    return rc;
}
