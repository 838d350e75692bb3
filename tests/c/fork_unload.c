/*
 * fork_unload.c: NetBackup loads the plugin, forks, terminates and unloads it, and loads it
 * again. This program does all of that with libstspiVastDataMT.so and checks that each step
 * leaves the process sound.
 *
 *   fork_unload LIB SERVER [SIZE]
 *
 * 1. Fork. Counts its threads (/proc/self/task), dlopen()s the plugin, init + open + LSU list,
 *    backs image "fu-parent" up (SIZE bytes, default 6 MiB) and leaves a second image
 *    "fu-open" open for write half-way. Forks. The child, on the parent's server handle: opens
 *    an LSU list, restores "fu-parent" (verified), finds the parent's write handle refused,
 *    backs "fu-child" up, restores it (verified), closes the server, terminates, exit(0).
 *    The parent waits for the child (polling, 120 s deadline: a hang fails instead of blocking),
 *    then finishes "fu-open", and restores "fu-parent", "fu-open" and "fu-child" (verified).
 * 2. Unload. stspi_terminate + dlclose; the thread count returns to the count before dlopen
 *    (polled up to 30 s for threads to finish exiting); the process runs on for 2 s, and a fork
 *    after dlclose works (no fork hook left behind in unloaded code).
 * 3. Reload. dlopen again, init, open, a 1 MiB backup and restore, terminate, dlclose; the
 *    thread count returns to the count before the first dlopen again.
 *
 * Prints "fork_unload: all steps passed" and exits 0 on success; the first failure exits 1.
 * Result lines for the test: "THREADS <when> <count>", "CHILD_EXIT <status>".
 */
#define main vast_driver_main
#include "driver.c"
#undef main

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

int vast_driver_main(int argc, char **argv);

static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) fail("opendir /proc/self/task");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* Polls until the thread count is `want` (threads finish exiting after join), up to 30 s. */
static int wait_threads(int want) {
    int n = thread_count();
    for (int i = 0; i < 300 && n != want; i++) {
        sleep_ms(100);
        n = thread_count();
    }
    return n;
}

static void *load(const char *path) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) fail("dlopen %s: %s", path, dlerror());
    if (resolve_all(lib) < 0) fail("entry points missing");
    return lib;
}

static void unload(void *lib) {
    if (dlclose(lib) != 0) fail("dlclose: %s", dlerror());
    memset(&api, 0, sizeof api);
}

static void backup(const char *name, uint64_t size, uint64_t seed) {
    sts_image_def_t def = image_def(name);
    sts_image_handle_t img = 0;
    OK(api.stspi_create_image_v10(&lsu, &def, 0, &img));
    write_stream(img, seed, 0, size, 0);
    OK(api.stspi_close_image(img, STS_CLOSEF_IH_COMPLETE));
    step("backup %s: %" PRIu64 " bytes of stream %" PRIu64, name, size, seed);
}

static void restore(const char *who, const char *name, uint64_t size, uint64_t seed) {
    sts_image_def_t def = image_def(name);
    uint64_t got = 0;
    uint64_t sum = read_back(&def, size, &got, 0, 0);
    uint64_t want = expected_sum(seed, size);
    if (got != size || sum != want)
        fail("%s: restore of %s: %" PRIu64 " bytes, checksum %016" PRIx64 ", expected %" PRIu64
             " bytes, %016" PRIx64,
             who, name, got, sum, size, want);
    step("%s: restore %s: %" PRIu64 " bytes verified (checksum %016" PRIx64 ")", who, name, got, sum);
}

/* The child's part: everything on the handles the parent opened. */
static void child_main(sts_image_handle_t parent_writer, uint64_t size) {
    mode = "fork_unload child";
    /* The reported hang: the first call of the child on the parent's server handle. */
    sts_list_handle_t list = 0;
    OK(api.stspi_open_lsu_list_v11(server, 0, &list));
    sts_lsu_name_t name;
    int n = 0;
    sts_status_t rc;
    while ((rc = api.stspi_list_lsu(list, &name)) == STS_EOK) n++;
    expect("stspi_list_lsu at the end", rc, STS_ENO_MORE_ENTRIES);
    OK(api.stspi_close_lsu_list(list));
    step("child: stspi_open_lsu_list_v11 on the parent's server handle: %d LSU(s)", n);
    restore("child", "fu-parent", size, 11);
    /* Two writers on one upload must not happen: the parent's write handle is refused here. */
    uint8_t block[BLOCK];
    fill(12, size / 2, block, sizeof block);
    uint64_t written = 0;
    expect("stspi_write_image on the parent's write handle in the child",
           api.stspi_write_image(parent_writer, NULL, block, sizeof block, size / 2, &written),
           STS_EINVAL);
    expect("stspi_close_image on the parent's write handle in the child",
           api.stspi_close_image(parent_writer, STS_CLOSEF_IH_COMPLETE), STS_EINVAL);
    step("child: the parent's write handle is refused (STS_EINVAL), write and close");
    backup("fu-child", size, 13);
    restore("child", "fu-child", size, 13);
    finish();
    step("child: server closed, plugin terminated");
}

static int run_fork_unload(const char *path, uint64_t size) {
    int before = thread_count();
    printf("THREADS before-dlopen %d\n", before);

    /* ---- 1. fork ---- */
    void *lib = load(path);
    step("dlopen: entry points resolved");
    start(0);
    step("parent: init, open %s, LSU %s (threads now %d)", server_name, lsu.lsu_name, thread_count());
    backup("fu-parent", size, 11);
    sts_image_def_t open_def = image_def("fu-open");
    sts_image_handle_t writer = 0;
    OK(api.stspi_create_image_v10(&lsu, &open_def, 0, &writer));
    write_stream(writer, 12, 0, size / 2, 0);
    step("parent: fu-open written to %" PRIu64 " of %" PRIu64 " and left open", size / 2, size);
    printf("THREADS before-fork %d\n", thread_count());
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) fail("fork failed");
    if (pid == 0) {
        alarm(120); /* a hang is killed, the parent then sees a signal */
        child_main(writer, size);
        fflush(stdout);
        exit(0);
    }
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 1200 && done == 0; i++) {
        done = waitpid(pid, &status, WNOHANG);
        if (done == 0) sleep_ms(100);
    }
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail("the child did not finish within 120 s (hung); killed");
    }
    if (done < 0) fail("waitpid failed");
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fail("the child hung: killed by its 120 s alarm (SIGALRM)");
    if (WIFSIGNALED(status)) fail("the child died of signal %d", WTERMSIG(status));
    printf("CHILD_EXIT %d\n", WEXITSTATUS(status));
    if (WEXITSTATUS(status) != 0) fail("the child exited with %d", WEXITSTATUS(status));
    step("parent: child exited 0");
    write_stream(writer, 12, size / 2, size, 0);
    OK(api.stspi_close_image(writer, STS_CLOSEF_IH_COMPLETE));
    step("parent: fu-open finished after the fork and closed complete");
    restore("parent", "fu-parent", size, 11);
    restore("parent", "fu-open", size, 12);
    restore("parent", "fu-child", size, 13);

    /* ---- 2. unload ---- */
    finish();
    unload(lib);
    int after = wait_threads(before);
    printf("THREADS after-dlclose %d\n", after);
    if (after != before) fail("%d threads after terminate + dlclose, %d before dlopen", after, before);
    step("terminate + dlclose: threads back to %d", after);
    sleep(2);
    int later = thread_count();
    printf("THREADS after-2s %d\n", later);
    if (later != before) fail("%d threads 2 s after dlclose", later);
    pid = fork();
    if (pid < 0) fail("fork after dlclose failed");
    if (pid == 0) _exit(0);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("a fork after dlclose did not exit cleanly (status %d)", status);
    step("the process ran on for 2 s after dlclose; a fork after dlclose is clean");

    /* ---- 3. reload ---- */
    lib = load(path);
    start(0);
    backup("fu-reload", 1u << 20, 14);
    restore("reload", "fu-reload", 1u << 20, 14);
    finish();
    unload(lib);
    after = wait_threads(before);
    printf("THREADS after-reload %d\n", after);
    if (after != before) fail("%d threads after the second dlclose, %d before", after, before);
    step("dlopen, init, open, backup, restore, terminate, dlclose again: threads back to %d", after);
    printf("fork_unload: all steps passed\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIB SERVER [SIZE]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(600);
    server_name = argv[2];
    mode = "fork_unload";
    uint64_t size = argc > 3 ? strtoull(argv[3], NULL, 10) : (6u << 20);
    if (size == 0 || size % (2 * BLOCK)) {
        fprintf(stderr, "SIZE must be a non-zero multiple of 512 KiB\n");
        return 2;
    }
    return run_fork_unload(argv[1], size);
}
