/* The e5 engine built for one instruction set (scalar); build.rs compiles it with
 * the matching flags and Rust picks a variant at run time (cpu features).
 * Renaming the public symbols lets both variants live in one binary. */
#define e5_load e5_scalar_load
#define e5_load_mem e5_scalar_load_mem
#define e5_free e5_scalar_free
#define e5_token_count e5_scalar_token_count
#define e5_dim e5_scalar_dim
#define e5_embed e5_scalar_embed
#define e5_embed_batch e5_scalar_embed_batch
#define e5_load_sae e5_scalar_load_sae
#define e5_sparse_dim e5_scalar_sparse_dim
#define e5_embed_sparse e5_scalar_embed_sparse
#include "e5.c"

/* summit-bot: OpenMP threads wait passively (sleep) instead of spinning, unless
 * the operator chose otherwise. On a busy machine spinning threads starve the
 * ones doing work: on 2 shared cores a question took 1.9 s with libgomp's
 * default and 0.18 s with passive waiting. libgomp reads the variable in its
 * own constructor; libgomp is linked statically (build.rs), so this
 * higher-priority constructor runs first. It lives in this file because the
 * scalar engine is always linked. */
#include <stdlib.h>
__attribute__((constructor(101))) static void e5_passive_openmp_wait(void) {
    setenv("OMP_WAIT_POLICY", "passive", 0);
}
