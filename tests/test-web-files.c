/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's files: what is read from its directory and what is left out (links, hidden and oddly named
 * files, kinds a dashboard does not have, FIFOs, files too large or too deep), with their types and ETags. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "web-files.h"

static char dir[] = "/tmp/test-web-files.XXXXXX";

static void put(const char *name, const char *text) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void mkdirs(const char *name) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(dir, "/tmp/test-web-files.XXXXXX");
}

static Hashmap *load(void) {
        Hashmap *files = NULL;
        ck_assert_int_eq(web_files_load(dir, &files), 0);
        return files;
}

START_TEST(test_the_dashboards_files_are_read_with_their_types) {
        put("index.html", "<!doctype html>");
        put("app.js", "export {};");
        put("style.css", "body {}");
        put("manifest.webmanifest", "{}");
        put("icon.svg", "<svg/>");
        mkdirs("pages");
        put("pages/tools.js", "export function render() {}");
        Hashmap *files = load();
        ck_assert_uint_eq(hashmap_size(files), 6);
        WebFile *f = hashmap_get(files, "/web/index.html");
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(f->type, "text/html; charset=utf-8");
        ck_assert_str_eq(f->data, "<!doctype html>");
        ck_assert_uint_eq(f->size, strlen("<!doctype html>"));
        ck_assert_str_eq(((WebFile *) hashmap_get(files, "/web/app.js"))->type, "text/javascript; charset=utf-8");
        ck_assert_str_eq(((WebFile *) hashmap_get(files, "/web/style.css"))->type, "text/css; charset=utf-8");
        ck_assert_str_eq(((WebFile *) hashmap_get(files, "/web/manifest.webmanifest"))->type,
                "application/manifest+json");
        ck_assert_str_eq(((WebFile *) hashmap_get(files, "/web/icon.svg"))->type, "image/svg+xml");
        ck_assert_ptr_nonnull(hashmap_get(files, "/web/pages/tools.js"));
        web_files_free(files);
}
END_TEST

START_TEST(test_etags_follow_the_contents) {
        put("a.js", "one");
        put("b.js", "one");
        put("c.js", "two");
        Hashmap *files = load();
        WebFile *a = hashmap_get(files, "/web/a.js"), *b = hashmap_get(files, "/web/b.js"),
                *c = hashmap_get(files, "/web/c.js");
        ck_assert_uint_eq(strlen(a->etag), 26);
        ck_assert(a->etag[0] == '"' && a->etag[25] == '"');
        ck_assert_str_eq(a->etag, b->etag);
        ck_assert_str_ne(a->etag, c->etag);
        web_files_free(files);
}
END_TEST

START_TEST(test_links_hidden_odd_and_unknown_files_are_left_out) {
        put("index.html", "ok");
        put(".hidden.js", "no");
        put("bad name.js", "no");
        put("notes.md", "no");
        put("run.sh", "no");
        mkdirs("elsewhere");
        put("elsewhere/a.js", "reached through a link");
        char path[512], target[512];
        snprintf(path, sizeof(path), "%s/passwd.txt", dir);
        ck_assert_int_eq(symlink("/etc/passwd", path), 0);
        snprintf(path, sizeof(path), "%s/linked", dir);
        snprintf(target, sizeof(target), "%s/elsewhere", dir);
        ck_assert_int_eq(symlink(target, path), 0);
        snprintf(path, sizeof(path), "%s/pipe.js", dir);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        mkdirs(".git");
        put(".git/config.txt", "no");

        Hashmap *files = load(); /* and the FIFO does not block it */
        ck_assert_ptr_nonnull(hashmap_get(files, "/web/index.html"));
        ck_assert_ptr_nonnull(hashmap_get(files, "/web/elsewhere/a.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/.hidden.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/bad name.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/notes.md"));
        ck_assert_ptr_null(hashmap_get(files, "/web/run.sh"));
        ck_assert_ptr_null(hashmap_get(files, "/web/passwd.txt"));
        ck_assert_ptr_null(hashmap_get(files, "/web/linked/a.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/pipe.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/.git/config.txt"));
        ck_assert_uint_eq(hashmap_size(files), 2);
        web_files_free(files);
}
END_TEST

START_TEST(test_too_deep_or_too_large_is_left_out) {
        mkdirs("a");
        mkdirs("a/b");
        mkdirs("a/b/c");
        mkdirs("a/b/c/d");
        mkdirs("a/b/c/d/e");
        put("a/b/c/d/deep.js", "four directories down");
        put("a/b/c/d/e/deeper.js", "five");
        char path[512];
        snprintf(path, sizeof(path), "%s/big.js", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, WEB_FILE_SIZE_MAX + 1), 0);
        close(fd);
        Hashmap *files = load();
        ck_assert_ptr_nonnull(hashmap_get(files, "/web/a/b/c/d/deep.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/a/b/c/d/e/deeper.js"));
        ck_assert_ptr_null(hashmap_get(files, "/web/big.js"));
        web_files_free(files);
}
END_TEST

START_TEST(test_a_missing_directory_is_enoent) {
        Hashmap *files = NULL;
        ck_assert_int_eq(web_files_load("/nonexistent/aios-web", &files), -ENOENT);
        ck_assert_ptr_null(files);
}
END_TEST

static Suite *web_files_suite(void) {
        Suite *s = suite_create("web-files");
        TCase *tc = tcase_create("web-files");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_the_dashboards_files_are_read_with_their_types);
        tcase_add_test(tc, test_etags_follow_the_contents);
        tcase_add_test(tc, test_links_hidden_odd_and_unknown_files_are_left_out);
        tcase_add_test(tc, test_too_deep_or_too_large_is_left_out);
        tcase_add_test(tc, test_a_missing_directory_is_enoent);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(web_files_suite());
}
