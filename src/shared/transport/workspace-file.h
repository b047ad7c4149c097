/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files of an IDE workspace for the other servers: aios-ided opens them for the principal a request acts for.
 *
 * aios-ided exports org.aios.IDE1 (dbus/org.aios.IDE1.xml) to the servers in its front-end list. It asks polkit
 * whether the request's principal may read (org.aios.ide.read) or change (org.aios.ide.write) the file, with
 * the subject, principal and scopes the request came with and the details an ide_read_file or ide_write_file
 * call of that principal would have, so a principal gets through another server exactly the files it would
 * get from aios-ided itself. It resolves the path beneath the workspace as its own tools do, and passes the
 * open file over the bus: the bytes never travel in JSON. A request that did not come over the system bus
 * (HTTP, stdio) has no subject polkit can decide for, and is refused.
 *
 *   static void on_file(McpRequest *req, WorkspaceFile *f, void *userdata) {
 *           if (f->fd < 0)   // f->error says why, as a sentence for the client
 *                   return (void) mcp_request_reply_tool_error(req, "%s", f->error);
 *           _cleanup_close_ int fd = TAKE_FD(f->fd);
 *           ... read f->size bytes from fd ...
 *   }
 *   r = workspace_file_open(req, "website", "docs/a.pdf", 10 * 1024 * 1024, on_file, NULL);
 *
 * done is called exactly once (also when the request ended meanwhile, so that it can free userdata), when
 * aios-ided answers, or before the call that started it returns when there is nothing to ask (no bus). */
#pragma once

#include <stdint.h>

#include "mcp-request.h"

#define WORKSPACE_BUS_NAME "org.aios.IDE1"
#define WORKSPACE_BUS_PATH "/org/aios/IDE1"
#define WORKSPACE_BUS_INTERFACE "org.aios.IDE1"

/* What done gets, valid during the call. */
typedef struct WorkspaceFile {
        /* The open file, or a negative errno: -EACCES refused by polkit, -ENOENT no such file or workspace,
         * -EXDEV the path leads outside the workspace, -EFBIG larger than max_size, -EROFS a read-only
         * workspace, -EHOSTDOWN aios-ided cannot be reached, -EPERM no subject (the request did not come over
         * the system bus). Take it with TAKE_FD() to keep it; otherwise it is closed after done returns. */
        int fd;
        uint64_t size;      /* of the file opened */
        const char *handle; /* workspace_file_create(): the name commit and discard take */
        const char *error;  /* when fd < 0: why, a sentence naming the workspace and path */
} WorkspaceFile;
typedef void (*WorkspaceFileDone)(McpRequest *req, WorkspaceFile *f, void *userdata);

/* Opens a regular file of workspace for reading (O_RDONLY); files larger than max_size are refused. size is
 * the file's size when it was opened. Returns 0, or a negative errno when the call could not start (then done
 * is not called). */
int workspace_file_open(McpRequest *req, const char *workspace, const char *path, uint64_t max_size,
        WorkspaceFileDone done, void *userdata);

/* Reads the file f->fd of workspace_file_open() whole (up to size bytes, its size when opened) into a new
 * buffer, with a NUL after its end. Returns 0, or a negative errno. */
int workspace_file_read_all(int fd, uint64_t size, char **ret, size_t *ret_size);

/* A new file for path of workspace, to be written and then put in place atomically: fd is a temporary file
 * beside path (O_RDWR, empty; the parents of path are made). Write it, then workspace_file_commit() it (a
 * rename over path, as ide_write_file does) or workspace_file_discard() it; aios-ided removes a temporary
 * file that the caller leaves uncommitted when it leaves the bus. f->handle is the name commit and discard
 * take. */
int workspace_file_create(McpRequest *req, const char *workspace, const char *path, WorkspaceFileDone done,
        void *userdata);

/* Puts the file created as handle in place (after fsync() of the caller's fd, which is the caller's to do so
 * that the data is on disk before the name is). done gets fd -EBADF and error NULL on success, and size the
 * size of the file put in place. */
int workspace_file_commit(McpRequest *req, const char *handle, WorkspaceFileDone done, void *userdata);
/* Removes the temporary file of handle, without waiting for an answer. */
int workspace_file_discard(McpRequest *req, const char *handle);
