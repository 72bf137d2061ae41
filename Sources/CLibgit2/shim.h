#ifndef FOLIO_CLIBGIT2_SHIM_H
#define FOLIO_CLIBGIT2_SHIM_H
#define GIT_DEPRECATE_HARD
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
/* git_repository_set_odb: bulk writes swap in an odb whose first backend is a mempack. */
#include <git2/sys/repository.h>

/* git_libgit2_opts is variadic and does not import into Swift. */
static inline int folio_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}
static inline int folio_git_enable_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}
static inline int folio_git_enable_fsync(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

/* libgit2 caches trees only up to 4 KiB each by default; a shard folder of a large repository
   (256 entries, about 8 KiB) would then be inflated again on every path looked up in it. */
static inline int folio_git_set_tree_cache_limit(size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, bytes);
}
/* Whether looked-up objects go to the object cache (all handles of the process). */
static inline int folio_git_enable_caching(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, enabled);
}
#endif
